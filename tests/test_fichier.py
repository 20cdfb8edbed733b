"""Reading local files of places: CSV (any separator/encoding), XLSX, JSON, GeoJSON, and refusing the rest."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from diagnostics.paths import SHARED_DIR
from diagnostics.sources.base import Lieux
from diagnostics.sources.fichier import FichierIllisible, charger_fichier, read_table
from diagnostics.standard.normalize import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "files"
PLACES = SHARED_DIR / "data" / "places"


def test_cp1252_semicolon_csv_with_decimal_commas():
    content = (
        "id;nom;commune;code_postal;latitude;longitude;services\r\n"
        "1;Médiathèque Éole;Brest;29200;48,3904;-4,4861;Aide aux démarches administratives\r\n"
        '2;"Café; numérique";Morlaix;29600;48,5775;-3,8277;\r\n'
    ).encode("cp1252")
    table = read_table(content, "lieux.csv")
    assert list(table.columns) == ["id", "nom", "commune", "code_postal", "latitude", "longitude", "services"]
    assert table["nom"].tolist() == ["Médiathèque Éole", "Café; numérique"]
    lieux = normalize(table, "fichier").lieux
    assert lieux["latitude"].tolist() == [48.3904, 48.5775]
    assert lieux["longitude"].tolist() == [-4.4861, -3.8277]


def test_utf8_bom_csv_and_quoted_multiline_cells():
    content = '\ufeffid,nom,presentation_detail\n1,"Lieu, centre","ligne 1\nligne 2"\n'.encode("utf-8")
    table = read_table(content, "lieux.csv")
    assert list(table.columns) == ["id", "nom", "presentation_detail"]
    assert table.iloc[0].tolist() == ["1", "Lieu, centre", "ligne 1\nligne 2"]


def test_tab_separated_and_codes_stay_text():
    table = read_table(b"id\tcode_postal\tcode_insee\n1\t01053\t2A004\n", "lieux.tsv")
    assert table.iloc[0].tolist() == ["1", "01053", "2A004"]


def test_cells_beyond_the_header_are_kept():
    table = read_table(b"id,nom\n1,a,en trop\n2,b\n", "lieux.csv")
    assert list(table.columns) == ["id", "nom", "colonne_3"]
    assert table["colonne_3"].tolist() == ["en trop", ""]


def test_xlsx_with_empty_trailing_rows_and_columns(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "notes"
    other = workbook.create_sheet("lieux")
    sheet.append(["remarque"])
    sheet.append(["rien ici"])
    other.append(["id", "nom", "code_postal", "telephone", "latitude", None])
    other.append([1, "Mairie", 1053, 450568749, 45.5, None])
    other.append([2, "Médiathèque", "29200", "02 98 00 00 00", 48.39, None])
    other.cell(row=10, column=8, value=None)
    other.cell(row=12, column=1, value="   ")  # blank text: an empty row too
    path = tmp_path / "lieux.xlsx"
    workbook.save(path)
    table = read_table(path, path.name, feuille="lieux")
    assert table.shape == (2, 5)
    assert table.iloc[0].tolist() == ["1", "Mairie", "1053", "450568749", "45.5"]
    lieux = normalize(table, "x").lieux
    assert lieux["code_postal"].tolist() == ["01053", "29200"]
    assert lieux["telephone"].tolist() == ["+33450568749", "+33298000000"]
    assert read_table(path, path.name).columns.tolist() == ["remarque"]  # first sheet by default
    with pytest.raises(FichierIllisible, match="n'existe pas"):
        read_table(path, path.name, feuille="absente")


@pytest.mark.parametrize(
    "payload",
    [
        [{"id": "a", "nom": "A"}, {"id": "b", "nom": "B", "services": ["Aide aux démarches administratives"]}],
        {"data": [{"id": "a", "nom": "A"}, {"id": "b", "nom": "B"}]},
        {"lieux": [{"id": "a", "nom": "A"}, {"id": "b", "nom": "B"}]},
        {"a": {"nom": "A"}, "b": {"nom": "B"}},
    ],
)
def test_json_shapes(payload):
    table = read_table(json.dumps(payload).encode(), "lieux.json")
    assert table["id"].tolist() == ["a", "b"] and table["nom"].tolist() == ["A", "B"]


def test_json_lists_become_pipe_strings():
    table = read_table(json.dumps([{"services": ["A", "B"], "latitude": 48.1}]).encode(), "x.json")
    assert table.iloc[0].tolist() == ["A|B", "48.1"]


def test_geojson_coordinates_from_the_point():
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "f1",
                "geometry": {"type": "Point", "coordinates": [-4.48, 48.39]},
                "properties": {"nom": "A"},
            },
            {
                "type": "Feature",
                "geometry": None,
                "properties": {"id": "f2", "nom": "B", "latitude": "43.1", "longitude": "5.2"},
            },
        ],
    }
    table = read_table(json.dumps(collection).encode(), "lieux.geojson")
    lieux = normalize(table, "x").lieux
    assert lieux["id"].tolist() == ["f1", "f2"]
    assert lieux["latitude"].tolist() == [48.39, 43.1] and lieux["longitude"].tolist() == [-4.48, 5.2]


def test_real_geojson_extract():
    raw = json.loads((FIXTURES / "portrea_extrait.geojson").read_text(encoding="utf-8"))
    lieux = normalize(read_table(FIXTURES / "portrea_extrait.geojson", "portrea.geojson"), "portrea").lieux
    assert len(lieux) == len(raw["features"])
    assert lieux["longitude"].tolist() == [f["geometry"]["coordinates"][0] for f in raw["features"]]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"\n\n  \n", "blanc.csv", "vide"),
        (b"<!DOCTYPE html><html><body>Erreur 404</body></html>", "lieux.csv", "page web"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "carte.csv", "n'est pas un fichier texte"),
        (b"%PDF-1.7\n", "lieux.pdf", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "lieux.xls", "97-2003"),
        (b"PK\x03\x04 pas vraiment un classeur", "lieux.xlsx", "n'a pas pu être ouvert"),
        (b'{"lieux": 3}', "lieux.json", "liste de lieux"),
        (b'[{"id": 1}', "lieux.json", "JSON valide"),
        (b"une seule ligne", "lieux.csv", "aucun lieu"),
        (b"[]", "lieux.json", "aucun lieu"),
    ],
)
def test_unreadable_files(content, name, message):
    with pytest.raises(FichierIllisible, match=message) as error:
        read_table(content, name)
    assert name in str(error.value) and str(error.value).endswith(".")


def test_charger_fichier(tmp_path):
    path = tmp_path / "charente.json"
    path.write_bytes((FIXTURES / "charente_extrait.json").read_bytes())
    raw = json.loads(path.read_text(encoding="utf-8"))
    result = charger_fichier(path)
    assert isinstance(result, Lieux)
    assert len(result.lieux) == len(raw)
    assert result.source.nom == "fichier" and result.source.libelle == "Fichier charente.json"
    real_dates = [r["date_maj"] for r in raw if not r["date_maj"].startswith("19")]
    assert result.source.date == max(real_dates)
    assert result.rapport[0].startswith("colonnes renommées")
    assert (result.lieux["code_commune_2026"].str.startswith("16")).all()


@pytest.mark.skipif(not PLACES.exists(), reason="données réelles absentes (../shared)")
def test_every_real_places_file_loads_completely():
    for path in sorted(p for p in PLACES.rglob("*") if p.suffix in (".json", ".geojson", ".csv")):
        table = read_table(path, path.name)
        lieux = normalize(table, path.name).lieux
        if path.suffix == ".csv":
            expected = 5227  # records of the Aidants Connect export (5 540 lines: some cells span lines)
        else:
            parsed = json.loads(path.read_text(encoding="utf-8"))
            expected = len(parsed["features"] if isinstance(parsed, dict) else parsed)
        assert len(table) == len(lieux) == expected, path


def test_charger_fichier_refuses_a_table_without_standard_columns():
    with pytest.raises(FichierIllisible, match="Aucune colonne"):
        charger_fichier(b"Produit,Prix\nClavier,12\n", "inventaire.csv")


def test_plain_export_headers_are_recognised():
    # The Aidants Connect export names its columns in English.
    lieux = charger_fichier(b"Name,Address,City,Zip Code\nMairie,1 rue de Brest,Brest,29200\n", "structures.csv").lieux
    assert lieux.loc[0, ["nom", "adresse", "commune", "code_postal"]].tolist() == ["Mairie", "1 rue de Brest", "Brest", "29200"]
