"""One hostile place record pushed through every output: the folium map, the local map site, the
report (HTML, PPTX), the spreadsheet exports (XLSX, CSV), the standard's CSV and the validation report.
Everything stays text: no executable HTML, no template evaluation, no link to javascript: or data:,
no formula; the standard's CSV keeps every value as it is. Output file names built from territory or
user strings stay inside their folder; uploads beyond the size limit are refused with a message."""
from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from test_carte import _lieux_dessines

from diagnostics import territories
from diagnostics.carte_locale.site import (
    construire_site,
    donnees_carte,
    options_carte,
    page_autonome,
)
from diagnostics.communes import attach_communes
from diagnostics.evolution import comparer
from diagnostics.rapport import html as rapport_html
from diagnostics.rapport import pptx as rapport_pptx
from diagnostics.rapport.contenu import Contenu, Section, Tableau
from diagnostics.rapport.sections import evolution as section_evolution
from diagnostics.rapport.tableaux import fichiers as fichiers_tableaux
from diagnostics.sources.base import Lieux, SourceInfo
from diagnostics.standard.fields import to_places_frame
from diagnostics.mise_a_jour import mettre_a_jour
from diagnostics.views import carte_evolution, fichiers, tableaux_evolution
from diagnostics.views.carte import carte_territoire, dessiner_carte

ROOT = Path(__file__).resolve().parents[1]
NOM = "<img src=x onerror=alert(1)>"
ADRESSE = '"><script>alert(1)</script>'
HORAIRES = "{{7*7}}"
SITE = "javascript:alert(1)"
RDV = "data:text/html,<script>alert(1)</script>"
FORMULE = '=HYPERLINK("http://evil.example","clic")'
TELEPHONE = "+33123456789"
COLONNE = "<b>x</b>"
TRAVERSEE = "../../../etc/passwd"
SOURCE = SourceInfo("fichier", f"Fichier « {NOM} »", "2026-01-15")


@pytest.fixture(scope="module")
def brest():
    return territories.resolve("commune:29019")


@pytest.fixture(scope="module")
def lieux():
    return attach_communes(to_places_frame(pd.DataFrame({
        "id": ["hostile-1", "hostile-2"],
        "nom": [NOM, FORMULE],
        "adresse": [ADRESSE, "1 rue du Port"],
        "code_postal": ["29200", "29200"],
        "commune": ["Brest", "Brest"],
        "code_insee": ["29019", "29019"],
        "horaires": [HORAIRES, "Mo-Fr 09:00-12:00"],
        "site_web": [SITE, "https://exemple.fr/"],
        "prise_rdv": [RDV, "https://rdv.exemple.fr/"],
        "telephone": [TELEPHONE, TELEPHONE],
        "latitude": [48.39, 48.40],
        "longitude": [-4.49, -4.48],
        "date_maj": ["2026-01-15", "2026-01-15"],
    })))


def _pas_de_html_actif(texte: str) -> None:
    # The hostile strings only ever appear escaped (&lt;img…, \u003cimg…): never as a tag.
    assert "<img src=x" not in texte and "<script>alert" not in texte
    assert not re.search(r"""href\s*=\s*["']?\s*(javascript|data):""", texte, re.IGNORECASE)


# -- maps ---------------------------------------------------------------------------------------------


def test_folium_map(lieux, brest):
    communes = territories.communes_frame(brest)
    page = carte_territoire(lieux, communes, communes, assets_base="/vendor").get_root().render()
    _pas_de_html_actif(page)
    dessines = {p["n"]: p for p in _lieux_dessines(page)[0]}
    hostile = dessines[html.escape(NOM, quote=False)]
    assert hostile["a"] == html.escape(ADRESSE, quote=False)
    assert hostile["vocabulaire"][hostile["h"]] == HORAIRES  # the template text is shown, never evaluated
    assert hostile["w"] == [] and SITE in hostile["x"]  # a javascript: URL is text, not a link
    assert FORMULE in dessines  # text, nothing to neutralise on a map


def test_local_map_site(lieux, brest, tmp_path):
    options = options_carte(titre=NOM, fond_de_carte=False)
    site = construire_site(brest, lieux, SOURCE, tmp_path / "site", options)
    index = site.index.read_text(encoding="utf-8")
    _pas_de_html_actif(index)
    # donnees.js is a script file of its own (a "<" there is no HTML); the one-page preview inlines it.
    script = (site.dossier / "donnees.js").read_text(encoding="utf-8")
    apercu = page_autonome(donnees_carte(brest, lieux, SOURCE, options), options)
    _pas_de_html_actif(apercu)
    assert apercu.count("</script>") == apercu.count("<script") and "\\u003cimg src=x" in apercu
    donnees = json.loads(script.removeprefix("window.CARTE_LOCALE = ").rstrip().rstrip(";"))
    lieu = next(x for x in donnees["lieux"] if x["id"] == "hostile-1")
    assert (lieu["nom"], lieu["adresse"], lieu["horaires"]) == (NOM, ADRESSE, HORAIRES)  # shown with textContent
    assert lieu["sites"] == [] and lieu["prise_rdv"] == ""  # javascript: and data: refused as links
    autre = next(x for x in donnees["lieux"] if x["id"] == "hostile-2")
    assert autre["sites"] == ["https://exemple.fr/"] and autre["prise_rdv"] == "https://rdv.exemple.fr/"
    assert donnees["titre"] == NOM and html.escape(NOM) in index
    assert "innerHTML" not in (site.dossier / "app.js").read_text(encoding="utf-8")


# -- the report ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contenu():
    tableau = Tableau(NOM, [COLONNE, HORAIRES], [[ADRESSE, FORMULE], [SITE, RDV]], note=HORAIRES)
    return Contenu(
        titre=f"Diagnostic {HORAIRES}", territoire=NOM, sous_titre=ADRESSE, date_edition="15 janvier 2026",
        source=f"Fichier « {NOM} »", synthese=f"{ADRESSE} {HORAIRES}",
        sections=[Section(COLONNE, [NOM, SITE, RDV], tableaux=[tableau])],
        sources=[FORMULE, RDV], nom_fichier=TRAVERSEE,
    )


def test_report_html(contenu):
    page = rapport_html.page(contenu)
    _pas_de_html_actif(page)
    assert "<b>x</b>" not in page and html.escape(COLONNE) in page
    assert page.count(HORAIRES) >= 3 and "49" not in page  # title, summary, table and note as written, never evaluated
    assert "<script" not in page  # the report has no script at all


def test_report_pptx_holds_the_strings_as_text(contenu):
    prs = Presentation(io.BytesIO(rapport_pptx.presentation(contenu)))
    textes = []
    for diapo in prs.slides:
        for forme in diapo.shapes:
            if forme.has_text_frame:
                textes.append(forme.text_frame.text)
            if forme.has_table:
                textes += [c.text for r in forme.table.rows for c in r.cells]
            if forme.click_action.hyperlink.address:
                textes.append(f"LIEN {forme.click_action.hyperlink.address}")
    tout = "\n".join(textes)
    assert all(s in tout for s in (NOM, ADRESSE, HORAIRES, SITE, RDV, FORMULE, COLONNE))
    assert "LIEN javascript" not in tout and "LIEN data" not in tout


# -- spreadsheets and the standard's CSV ---------------------------------------------------------------


def test_xlsx_of_places_has_no_formula(lieux):
    wb = load_workbook(io.BytesIO(fichiers.xlsx_lieux(lieux)))
    cellules = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cellules)
    valeurs = {c.value for c in cellules}
    assert FORMULE in valeurs and NOM in valeurs and TELEPHONE in valeurs  # text kept whole, typed as text


def test_spreadsheet_csv_neutralises_formulas_only(lieux):
    texte = fichiers.csv_tableau(lieux.drop(columns="geometry")).decode("utf-8-sig")
    lignes = list(csv.DictReader(io.StringIO(texte), delimiter=";"))
    assert not any(v.startswith(("=", "@")) for ligne in lignes for v in ligne.values() if v)
    assert lignes[1]["nom"].lstrip("'\u200b\t") == FORMULE and lignes[1]["nom"] != FORMULE
    assert lignes[0]["nom"] == NOM and lignes[0]["adresse"] == ADRESSE


def test_standard_csv_is_not_altered(lieux):
    lignes = list(csv.DictReader(io.StringIO(fichiers.csv_standard(lieux).decode("utf-8"))))
    assert [ligne["nom"] for ligne in lignes] == [NOM, FORMULE]
    assert [ligne["telephone"] for ligne in lignes] == [TELEPHONE, TELEPHONE]
    assert (lignes[0]["adresse"], lignes[0]["horaires"], lignes[0]["site_web"], lignes[0]["prise_rdv"]) == (
        ADRESSE, HORAIRES, SITE, RDV)


def test_indicator_tables_csv_and_xlsx(lieux):
    from diagnostics.rapport.tableaux import TableIndicateurs

    description = pd.DataFrame({"Colonne": [COLONNE, "n"], "Nom technique": [NOM, "n"], "Unité": ["", ""],
                                "Définition": [FORMULE, HORAIRES]})
    table = TableIndicateurs("communes", pd.DataFrame({COLONNE: [FORMULE, TELEPHONE], "n": [1, 2]}), description)
    sortie = fichiers_tableaux(TRAVERSEE, [table])
    for nom, donnees in sortie.items():
        assert "/" not in nom and ".." not in nom
        if nom.endswith(".xlsx"):
            wb = load_workbook(io.BytesIO(donnees))
            assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
        else:
            assert "\n=" not in donnees.decode("utf-8-sig") and ";=" not in donnees.decode("utf-8-sig")


# -- the validation report of an uploaded file ----------------------------------------------------------


def test_validation_report_of_a_hostile_upload():
    entetes = ["Nom", "Adresse", "Code postal", "Ville", "Téléphone", "Horaires", "Site", COLONNE]
    lignes = [[NOM, ADRESSE, "29200", "Brest", TELEPHONE, HORAIRES, SITE, FORMULE],
              [FORMULE, "1 rue du Port", "29200", "Brest", "02 98 00 00 00", "", RDV, NOM]]
    texte = io.StringIO()
    csv.writer(texte, delimiter=";").writerows([entetes, *lignes])
    r = mettre_a_jour(texte.getvalue().encode("utf-8"), f"{TRAVERSEE}.csv")
    page = r.fichiers["rapport.html"].decode("utf-8")
    _pas_de_html_actif(page)
    assert "<b>x</b>" not in page and html.escape(COLONNE, quote=False) in page
    wb = load_workbook(io.BytesIO(r.fichiers["rapport.xlsx"]))
    cellules = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cellules)
    assert any(c.value == FORMULE for c in cellules)
    lues = list(csv.DictReader(io.StringIO(r.fichiers["lieux.csv"].decode("utf-8"))))
    assert [ligne["nom"] for ligne in lues] == [NOM, FORMULE] and lues[0]["telephone"] == TELEPHONE
    assert all("/" not in nom and ".." not in nom for nom in r.fichiers)


# -- file names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("texte", [TRAVERSEE, "..", "/etc/passwd", "C:\\Windows\\system32", "a/../../b", NOM,
                                   "\x00nul", "é" * 300, ""])
def test_file_names_stay_inside_their_folder(texte, tmp_path):
    noms = [fichiers.nom_fichier("lieux", texte, extension="csv"), fichiers.nom_fichier(texte, extension="../x")]
    for nom in noms:
        chemin = (tmp_path / nom).resolve()
        assert chemin.parent == tmp_path.resolve() and chemin.name == nom
        assert "/" not in nom and "\\" not in nom and not nom.startswith(".") and len(nom) < 200


def test_report_file_names_from_a_hostile_territory_name(contenu):
    from diagnostics.rapport import fichiers_rapport

    noms = list(fichiers_rapport(contenu, formats=("html",)))
    assert noms == ["fiche-territoire_etc-passwd.html"]


# -- upload size ------------------------------------------------------------------------------------------


class _Televerse:
    name = "lieux.csv"

    def __init__(self, taille: int):
        self._contenu = b"nom\n" + b"x" * taille

    def getvalue(self) -> bytes:
        return self._contenu


def test_upload_beyond_the_limit_is_refused_with_a_message(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import ui
    from diagnostics.places import charger_lieux

    monkeypatch.setattr(st, "file_uploader", lambda *a, **k: _Televerse(ui.MAX_FICHIER_MO * 1024 * 1024 + 1))
    t = territories.resolve("commune:29019")
    at = AppTest.from_file(str(ROOT / "pages" / "mise_a_jour.py"), default_timeout=60)
    at.session_state["contexte"] = ui.Contexte(territoire=t, source="embarque", resultat=charger_lieux(t, "embarque"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Fichier trop volumineux (52,4 Mo) : la limite est de {ui.MAX_FICHIER_MO} Mo."]
    assert "maj_televerse" not in at.session_state  # refused content is not kept
    # The server refuses even earlier with the same limit.
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert re.search(rf"^maxUploadSize\s*=\s*{ui.MAX_FICHIER_MO}\s*$", config, re.MULTILINE)


# -- the évolution between two pictures ----------------------------------------------------------------


def test_evolution_outputs_keep_hostile_places_as_text(lieux, brest):
    """Two hostile places opened between an empty picture and this one: the changes CSV neutralises the
    formula, the XLSX has no formula cell, the map and the fiche's Évolution part show the names escaped."""
    vide = Lieux(lieux=lieux.iloc[0:0], source=SourceInfo("fichier", "Fichier vide", "2025-01-15"))
    e = comparer(brest, vide, Lieux(lieux=lieux, source=SOURCE))
    assert set(e.ouverts["nom"]) == {NOM, FORMULE}
    texte = tableaux_evolution.csv_changements(e).decode("utf-8-sig")
    lignes = list(csv.DictReader(io.StringIO(texte), delimiter=";"))
    assert {ligne["Nom"] for ligne in lignes} == {NOM, "'" + FORMULE}
    wb = load_workbook(io.BytesIO(tableaux_evolution.xlsx_evolution(e)))
    cellules = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cellules) and FORMULE in {c.value for c in cellules}
    communes, zones, contour = carte_evolution.fond_territoire(brest)
    preparee = carte_evolution.preparer_carte_evolution(e, communes, contour, communes_zones=zones)
    _pas_de_html_actif(dessiner_carte(preparee).get_root().render())
    section = section_evolution(json.loads(json.dumps(e.to_json())))
    page = rapport_html.page(Contenu(
        titre="t", territoire="Brest", sous_titre="", date_edition="", source="", synthese="", sections=[section],
        sources=[], nom_fichier="brest",
    ))
    _pas_de_html_actif(page)
    assert html.escape(NOM) in page or "&lt;img src=x" in page
