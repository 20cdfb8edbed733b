"""Writers of a places frame: the standard's CSV, JSON, GeoJSON and XLSX."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from diagnostics.sources.fichier import read_table
from diagnostics.standard.fields import INTERNAL_COLUMNS, field_names
from diagnostics.standard.io import to_geojson, to_json, to_standard_csv, to_xlsx
from diagnostics.standard.normalize import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "files"


@pytest.fixture
def lieux():
    rows = [
        {
            "id": "a",
            "nom": 'Espace "Numérique", centre',
            "commune": "Brest",
            "code_postal": "29200",
            "adresse": "1 rue de Siam",
            "presentation_detail": "Ligne 1\nLigne 2",
            "latitude": 48.390394,
            "longitude": -4.486076,
            "telephone": "+33298000000",
            "date_maj": "2024-01-02",
            "services": "Aide aux démarches administratives|Loisirs et créations numériques",
            "presentation_resume": '=HYPERLINK("http://x")',
            "structure_parente": "@mairie",
            "complement_adresse": "-1 sous-sol",
        },
        {"id": "b", "nom": "Sans position", "latitude": 0.00001, "longitude": 0.00002},
        {"id": "c", "nom": "Aucune coordonnée"},
    ]
    return normalize(rows, "test").lieux


def test_standard_csv_exact_format(lieux, tmp_path):
    path = tmp_path / "lieux.csv"
    to_standard_csv(lieux, path)
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == list(field_names())
    assert not set(INTERNAL_COLUMNS) & set(rows[0])
    first = dict(zip(rows[0], rows[1]))
    assert first["nom"] == 'Espace "Numérique", centre' and first["presentation_detail"] == "Ligne 1\nLigne 2"
    assert first["telephone"] == "+33298000000"
    assert first["presentation_resume"] == '=HYPERLINK("http://x")'
    assert (first["latitude"], first["longitude"]) == ("48.390394", "-4.486076")
    second, third = dict(zip(rows[0], rows[2])), dict(zip(rows[0], rows[3]))
    assert (second["latitude"], second["longitude"]) == ("0.00001", "0.00002")  # never 1e-05
    assert (third["latitude"], third["longitude"]) == ("", "")
    assert '"Espace ""Numérique"", centre"'.encode() in data


def test_standard_csv_to_buffers(lieux):
    text, binary = io.StringIO(), io.BytesIO()
    to_standard_csv(lieux, text)
    to_standard_csv(lieux, binary)
    assert binary.getvalue().decode("utf-8") == text.getvalue()
    assert text.getvalue().startswith("id,pivot,nom,")


def test_json_records(lieux, tmp_path):
    path = tmp_path / "lieux.json"
    to_json(lieux, path)
    records = json.loads(path.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[0]["latitude"] == 48.390394 and records[0]["services"].count("|") == 1
    assert "latitude" not in records[2] and "telephone" not in records[2]
    assert records[2]["adresse"] == ""  # required fields always present
    assert set(records[0]) <= set(field_names())


def test_geojson(lieux, tmp_path):
    path = tmp_path / "lieux.geojson"
    to_geojson(lieux, path)
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    first, _, third = collection["features"]
    assert first["geometry"] == {"type": "Point", "coordinates": [-4.486076, 48.390394]}
    assert first["properties"]["nom"] == 'Espace "Numérique", centre'
    assert third["geometry"] is None
    back = normalize(read_table(path, "lieux.geojson"), "retour").lieux
    assert back["nom"].tolist() == lieux["nom"].tolist()


def test_xlsx_text_never_becomes_a_formula(lieux, tmp_path):
    path = tmp_path / "lieux.xlsx"
    to_xlsx(lieux, path)
    sheet = openpyxl.load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header == list(field_names())
    cells = {name: sheet.cell(row=2, column=i + 1) for i, name in enumerate(header)}
    for name, value in [
        ("presentation_resume", '=HYPERLINK("http://x")'),
        ("telephone", "+33298000000"),
        ("structure_parente", "@mairie"),
        ("complement_adresse", "-1 sous-sol"),
        ("code_postal", "29200"),
    ]:
        assert cells[name].value == value and cells[name].data_type == "s", name
    assert cells["latitude"].value == 48.390394 and cells["latitude"].data_type == "n"
    assert sheet.cell(row=4, column=header.index("latitude") + 1).value is None
    assert sheet.freeze_panes == "A2"
    assert 8 <= sheet.column_dimensions["C"].width <= 62


def test_xlsx_round_trip_through_the_reader(tmp_path):
    lieux = normalize(read_table(FIXTURES / "charente_extrait.json", "charente.json"), "charente").lieux
    path = tmp_path / "charente.xlsx"
    to_xlsx(lieux, path)
    back = normalize(read_table(path, "charente.xlsx"), "retour").lieux
    for name in field_names():
        assert back[name].tolist() == lieux[name].tolist() or name in ("latitude", "longitude"), name
    assert back["latitude"].round(9).tolist() == lieux["latitude"].round(9).tolist()
