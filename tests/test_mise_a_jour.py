"""The whole update pipeline and `diagnostic valider`: spreadsheets made here (XLSX with a merged title
above French headers, cp1252 CSV with `;` and decimal commas, an export with empty trailing rows), the real
extracts of tests/fixtures/files, rows in = rows out (hypothesis), outputs, exit codes 0/1/2."""
import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from diagnostics import commandes, territories
from diagnostics.sources.fichier import FichierIllisible
from diagnostics.standard.fields import field_names
from diagnostics.mise_a_jour import FICHIERS, mettre_a_jour

FIXTURES = Path(__file__).parent / "fixtures" / "files"
ENTETES = ["Nom de la structure", "Adresse", "Code postal", "Ville", "Téléphone", "Mail", "Horaires d'ouverture",
           "Latitude", "Longitude", "Date de mise à jour"]
LIGNES = [
    ["Médiathèque François Mitterrand", "22 rue Traverse", "29200", "brest", "02 98 00 89 30", "contact@mairie-brest.fr",
     "du lundi au vendredi de 9h à 12h et de 14h à 17h", "48,3896", "-4,4862", "02/03/2025"],
    ["Espace numérique de Plouguerneau", "1 place de l'Europe", "29880", "PLOUGUERNEAU", "0298046700", "",
     "sur rendez-vous", "", "", "45658"],
    ["Mairie de Landerneau", "Place Saint-Thomas", "29800", "Landerneau", "", "mairie@landerneau.bzh", "", "", "", ""],
]


def _xlsx_titre_fusionne() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Recensement des lieux de médiation numérique 2025"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ENTETES))
    ws.append(ENTETES)
    for ligne in LIGNES:
        ws.append(ligne)
    tampon = io.BytesIO()
    wb.save(tampon)
    return tampon.getvalue()


def _csv_cp1252(lignes_vides: int = 0) -> bytes:
    texte = io.StringIO()
    w = csv.writer(texte, delimiter=";", lineterminator="\r\n")
    w.writerow(ENTETES)
    w.writerows(LIGNES)
    w.writerows([[""] * len(ENTETES)] * lignes_vides)
    return texte.getvalue().encode("cp1252")


def _verifier(r):
    assert len(r.lieux) == len(LIGNES)
    brest = r.lieux.iloc[0]
    assert (brest["latitude"], brest["longitude"]) == (48.3896, -4.4862)  # decimal commas read
    assert brest["commune"] == "Brest" and brest["code_insee"] == "29019"  # canonical name, inferred code
    assert brest["telephone"] == "+33298008930" and brest["date_maj"] == "2025-03-02"
    assert brest["horaires"] == "Mo-Fr 09:00-12:00,14:00-17:00"
    plougerneau = r.lieux.iloc[1]
    assert plougerneau["date_maj"] == "2025-01-01"  # Excel serial day
    assert plougerneau["horaires"] == "sur rendez-vous" and "non convertis" in plougerneau["anomalies"]
    assert plougerneau["position_approximative"]  # no coordinates: commune inner point
    assert plougerneau["code_insee"] == "29195" and plougerneau["commune"] == "Plouguerneau"
    # Landerneau has no date: a blocking problem, but the row is still written.
    assert not r.valide
    assert any(p.champ == "date_maj" for p in r.bloquants)
    assert set(r.fichiers) == set(FICHIERS)
    lu = pd.read_csv(io.BytesIO(r.fichiers["lieux.csv"]), dtype=str, keep_default_na=False)
    assert list(lu.columns) == list(field_names()) and len(lu) == 3
    assert len(json.loads(r.fichiers["lieux.json"])) == 3
    assert set(r.changements["champ"]) >= {"telephone", "date_maj", "horaires", "commune", "latitude"}


def test_xlsx_with_merged_title_above_french_headers():
    r = mettre_a_jour(_xlsx_titre_fusionne(), "lieux.xlsx")
    _verifier(r)
    assert any("ligne 2" in line for line in r.rapport)


def test_cp1252_csv_with_semicolons_and_decimal_commas():
    _verifier(mettre_a_jour(_csv_cp1252(), "lieux.csv"))


def test_excel_export_with_empty_trailing_rows():
    _verifier(mettre_a_jour(_csv_cp1252(lignes_vides=40), "export.csv"))


def test_report_files_escape_and_neutralise_hostile_text():
    hostile = [["<script>alert(1)</script>", "1 rue X", "29200", "Brest", "", "", "", "", "", "2025-01-01"],
               ["=HYPERLINK(\"http://x\")", "", "29200", "Brest", "", "", "", "", "", "2025-01-01"]]
    texte = io.StringIO()
    csv.writer(texte, delimiter=";").writerows([ENTETES, *hostile])
    r = mettre_a_jour(texte.getvalue().encode("utf-8"), "hostile.csv")
    page = r.fichiers["rapport.html"].decode("utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    wb = load_workbook(io.BytesIO(r.fichiers["rapport.xlsx"]))
    cellules = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cellules and all(c.data_type == "s" for c in cellules)
    assert {"Synthèse", "Problèmes", "Lieux", "Changements"} <= set(wb.sheetnames)


@pytest.mark.parametrize("nom", sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".json", ".geojson", ".csv")))
def test_real_files_rows_in_rows_out(nom):
    r = mettre_a_jour(FIXTURES / nom)
    brut = json.loads((FIXTURES / nom).read_text()) if nom.endswith("json") else None
    attendu = len(brut["features"] if isinstance(brut, dict) else brut) if brut is not None else 1
    assert len(r.lieux) == attendu
    assert r.lieux["ligne_source"].tolist() == list(range(1, attendu + 1))
    lu = pd.read_csv(io.BytesIO(r.fichiers["lieux.csv"]), dtype=str, keep_default_na=False)
    assert len(lu) == attendu


def test_v0_file_is_converted_and_valid():
    r = mettre_a_jour(FIXTURES / "hub_du_sud_v0_extrait.json")
    assert r.valide, r.validation.resume()
    regles = set(r.changements["regle"])
    assert any("v0 converties" in x for x in regles)


def test_comparison_with_the_embedded_national_data():
    t = territories.resolve("dep:13")
    r = mettre_a_jour(FIXTURES / "hub_du_sud_v1_extrait.json", territoire=t)
    c = r.rapprochement
    compares = len(c.correspondances) + len(c.nouveaux)
    hors = sum(1 for x in r.lieux["code_commune_2026"] if x not in set(t.codes_communes))
    assert compares + hors == len(r.lieux)
    assert any(line.startswith("comparaison avec les données nationales") for line in r.rapport)
    assert "Différences" in load_workbook(io.BytesIO(r.fichiers["rapport.xlsx"])).sheetnames


def test_unreadable_file():
    with pytest.raises(FichierIllisible):
        mettre_a_jour(b"%PDF-1.4 ...", "lieux.pdf")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=12), min_size=4, max_size=4), min_size=1, max_size=8))
def test_never_crashes_never_loses_a_row(cellules):
    lignes = [[c.replace("\x00", "") or "x" for c in ligne] for ligne in cellules]
    texte = io.StringIO()
    csv.writer(texte, delimiter=";").writerows([["nom", "Ville", "Horaires", "Latitude"], *lignes])
    try:
        r = mettre_a_jour(texte.getvalue().encode("utf-8"), "x.csv")
    except FichierIllisible:
        return
    lu = pd.read_csv(io.BytesIO(r.fichiers["lieux.csv"]), dtype=str, keep_default_na=False)
    assert len(lu) == len(r.lieux)
    assert len(r.lieux) == len([row for row in csv.reader(io.StringIO(texte.getvalue()), delimiter=";")
                                if any(c.strip() for c in row)]) - 1


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def diagnostic():
    return commandes.main


def test_cli_exit_codes_and_outputs(diagnostic, tmp_path, capsys):
    valide = tmp_path / "v0.json"
    valide.write_bytes((FIXTURES / "hub_du_sud_v0_extrait.json").read_bytes())
    assert diagnostic(["valider", str(valide), "--sortie", str(tmp_path / "a")]) == 0
    assert {p.name for p in (tmp_path / "a").iterdir()} == set(FICHIERS)

    invalide = tmp_path / "collecte.csv"
    invalide.write_bytes(_csv_cp1252())
    assert diagnostic(["valider", str(invalide), "-o", str(tmp_path / "b")]) == 1
    assert (tmp_path / "b" / "lieux.csv").exists()
    # The saved mapping is reused as is.
    assert diagnostic(["valider", str(invalide), "-o", str(tmp_path / "c"),
                       "--correspondance", str(tmp_path / "b" / "correspondance.json")]) == 1
    assert (tmp_path / "b" / "lieux.csv").read_bytes() == (tmp_path / "c" / "lieux.csv").read_bytes()

    classeur = tmp_path / "c.xlsx"
    classeur.write_bytes(_xlsx_titre_fusionne())
    capsys.readouterr()
    assert diagnostic(["valider", str(classeur), "--feuille", "Absente", "-o", str(tmp_path / "d")]) == 2
    assert "La feuille « Absente » n'existe pas" in capsys.readouterr().err

    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert diagnostic(["valider", str(pdf), "-o", str(tmp_path / "e")]) == 2
    assert diagnostic(["valider", str(tmp_path / "absent.csv")]) == 2
    assert diagnostic(["valider", str(invalide), "-t", "zzz-inconnu", "-o", str(tmp_path / "f")]) == 1
    mauvaise = tmp_path / "m.json"
    mauvaise.write_text("[1, 2]")
    capsys.readouterr()
    assert diagnostic(["valider", str(invalide), "-c", str(mauvaise), "-o", str(tmp_path / "g")]) == 1
    assert "correspondance" in capsys.readouterr().err
