"""The fiche territoire (PPTX, PDF, HTML), the indicator tables and `diagnostic rapport`, on the real
embedded places of Brest Métropole (8 communes)."""
import dataclasses
import io
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from app_server import chromium
from diagnostics import commandes, territories
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators.par_commune import COLONNES, table_communes
from diagnostics.places import charger_lieux
from diagnostics.rapport import construire, fichiers_rapport, html, tableaux
from diagnostics.rapport.contenu import date_francaise

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium absent : installez le paquet Debian chromium.")

EPCI = "epci:242900314"
LOGO = (Path(__file__).resolve().parents[1] / "static" / "favicon.png").read_bytes()


@pytest.fixture(scope="module")
def donnees():
    t = territories.resolve(EPCI)
    resultat = charger_lieux(t, "embarque")
    diag = diagnostic(t, resultat.lieux, resultat.source)
    table = table_communes(t, resultat.lieux)
    return t, resultat, diag, table


@pytest.fixture(scope="module")
def rapport(donnees):
    t, resultat, diag, table = donnees
    contenu = construire(diag, table, lieux=resultat.lieux)
    return contenu, fichiers_rapport(contenu, logo=LOGO)


def test_files_are_named_from_the_territory(rapport):
    _, fichiers = rapport
    assert sorted(fichiers) == [
        "fiche-territoire_Brest-Metropole.html", "fiche-territoire_Brest-Metropole.pdf",
        "fiche-territoire_Brest-Metropole.pptx",
    ]


def test_pptx_slides_titles_and_pictures(rapport):
    contenu, fichiers = rapport
    prs = Presentation(io.BytesIO(fichiers["fiche-territoire_Brest-Metropole.pptx"]))
    assert prs.slide_width * 9 == prs.slide_height * 16  # 16:9
    # cover, À retenir, one slide per map, chart and table of each section (text-only sections: one), sources
    attendu = 2 + bool(contenu.a_retenir)
    for s in contenu.sections:
        attendu += max((s.carte is not None) + len(s.graphiques) + len(s.tableaux), 1)
    slides = list(prs.slides)
    assert len(slides) == attendu
    textes = [" ".join(sh.text_frame.text for sh in d.shapes if sh.has_text_frame) for d in slides]
    assert "Brest Métropole (EPCI)" in textes[0] and "Diagnostic de l'inclusion numérique" in textes[0]
    titres = [d.shapes[0].text_frame.text for d in slides[1:]]
    for section in contenu.sections:
        assert section.titre in titres
    assert titres[-1] == "Sources et dates" and titres[0] == "À retenir"
    assert "Chiffres clés" in titres and "Carte du territoire" in titres and "Qualité des données" in titres
    images = sum(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for d in slides for sh in d.shapes)
    assert images == len(contenu.graphiques) + 1 + 1 + 1  # charts, map, cover miniature, logo
    assert len(contenu.graphiques) >= 6
    tables = [sh.table for d in slides for sh in d.shapes if sh.has_table]
    reperes = next(t for t in tables if t.cell(0, 0).text == "Indicateur")
    entetes = [reperes.cell(0, j).text for j in range(len(reperes.columns))]
    assert entetes[1].startswith("Ce territoire") and "France" in entetes and any("Finistère" in e for e in entetes)


def test_key_figures_are_french_formatted(rapport, donnees):
    contenu, _ = rapport
    _, _, diag, _ = donnees
    tableau = contenu.sections[0].tableaux[0]
    ligne = next(l for l in tableau.lignes if l[0].startswith("Lieux pour 10 000"))
    attendu = f"{diag['lieux_pour_10000_habitants']:.1f}".replace(".", ",")
    assert ligne[1] == attendu
    population = next(l for l in tableau.lignes if l[0] == "Habitants en zone blanche")
    assert population[-2] == f"{diag['comparaison']['france']['zones_blanches_population']:,}".replace(",", "\u202f")


def test_every_chart_carries_source_and_data_date(rapport, donnees):
    contenu, _ = rapport
    date = date_francaise(donnees[1].source.date)
    assert date == "22 février 2024"
    for g in contenu.graphiques:
        assert f"données du {date}" in g.figure.layout.title.subtitle.text
    svg = contenu.images("svg")
    assert all(f"données du {date}".encode() in s for s in svg.values())


def test_pdf_has_pages_and_the_territory_name(rapport):
    _, fichiers = rapport
    lecteur = PdfReader(io.BytesIO(fichiers["fiche-territoire_Brest-Metropole.pdf"]))
    assert len(lecteur.pages) >= 5
    texte = " ".join(p.extract_text() for p in lecteur.pages)
    assert "Brest Métropole" in texte and "Sources et dates" in texte and "Zones blanches et priorités" in texte


def test_html_loads_offline_with_no_outside_request(rapport, tmp_path):
    contenu, fichiers = rapport
    chemin = tmp_path / "rapport.html"
    chemin.write_bytes(fichiers["fiche-territoire_Brest-Metropole.html"])
    demandes, echecs = [], []
    with chromium() as navigateur:
        page = navigateur.new_page()
        page.context.set_offline(True)
        page.on("request", lambda r: demandes.append(r.url))
        page.on("requestfailed", lambda r: echecs.append(r.url))
        page.on("console", lambda m: echecs.append(m.text) if m.type == "error" else None)
        page.goto(chemin.as_uri(), wait_until="load")
        dessinees = page.eval_on_selector_all("img", "els => els.map(e => e.complete && e.naturalWidth > 0)")
        titre = page.text_content("h1")
    assert echecs == []
    assert [u for u in demandes if not u.startswith(("data:", chemin.as_uri()))] == []
    assert titre == "Brest Métropole (EPCI)"
    assert len(dessinees) == len(contenu.graphiques) + 3 and all(dessinees)  # charts, map, miniature, logo


def test_html_escapes_every_string(rapport):
    contenu, _ = rapport
    piege = "<script>alert(1)</script> & {{ 7*7 }}"
    page = html.page(dataclasses.replace(contenu, territoire=piege, sources=[piege]))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; {{ 7*7 }}" in page


def test_indicator_tables_xlsx_has_a_column_sheet_and_text_stays_text(donnees, tmp_path):
    t, resultat, _, table = donnees
    piegee = table.copy()
    piegee.loc[0, "nom"] = '=HYPERLINK("http://x","clic")'
    piegee.loc[1, "distance_km"] = np.inf
    par_commune = tableaux.table_par_commune(piegee)
    classeur = load_workbook(io.BytesIO(tableaux.xlsx_octets(par_commune)))
    assert classeur.sheetnames == ["indicateurs", "colonnes"]
    donnees_xlsx, colonnes = classeur["indicateurs"], classeur["colonnes"]
    assert colonnes.max_row == len(COLONNES) + 1 == donnees_xlsx.max_column + 1
    assert [c.value for c in colonnes[1]] == ["Colonne", "Nom technique", "Unité", "Définition"]
    assert [c.value for c in donnees_xlsx[1]] == [c.value for c in colonnes["A"][1:]]
    assert all(c.value for c in colonnes["D"][1:])  # every column is described
    formule = donnees_xlsx.cell(2, 2)
    assert formule.value.startswith("=HYPERLINK") and formule.data_type == "s"
    assert donnees_xlsx.cell(2, 3).data_type == "n"  # population stays a number
    distances = [donnees_xlsx.cell(r, 6).value for r in range(2, donnees_xlsx.max_row + 1)]
    assert "aucun lieu" in distances


def test_csv_neutralises_formulas_but_not_numbers_or_phones():
    frame = pd.DataFrame(
        {"nom": ["=1+2", "+cmd", "-x", "@SUM(A1)", "+33123456789", "-12.5", "Brest"], "valeur": [1.5, -2, 3, 4, 5, 6, 7]}
    )
    table = tableaux.TableIndicateurs("communes", frame, pd.DataFrame())
    lignes = tableaux.csv_octets(table).decode("utf-8-sig").splitlines()
    cellules = [l.split(";")[0] for l in lignes[1:]]
    assert cellules == ["'=1+2", "'+cmd", "'-x", "'@SUM(A1)", "+33123456789", "-12.5", "Brest"]
    assert lignes[1].split(";")[1] == "1,5" and lignes[2].split(";")[1] == "-2,0"


def test_epci_table_and_safe_file_names(donnees):
    t, resultat, _, table = donnees
    epci = tableaux.table_par_epci(t, resultat.lieux)
    assert len(epci.donnees) == 1 and epci.donnees.iloc[0]["EPCI"] == "Brest Métropole"
    assert len(epci.description) == len(epci.donnees.columns)
    commune = territories.resolve("commune:29019")
    assert tableaux.table_par_epci(commune, resultat.lieux) is None
    noms = tableaux.fichiers("../L'Haÿ-les-Roses <test>: *?", [tableaux.table_par_commune(table), None])
    assert sorted(noms) == ["indicateurs-communes_L-Hay-les-Roses-test.csv", "indicateurs-communes_L-Hay-les-Roses-test.xlsx"]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+\.(csv|xlsx)", n) for n in noms)


def test_cli_writes_the_files_and_tables(tmp_path, capsys):
    sortie = tmp_path / "fiche"
    assert commandes.main(["rapport", "-t", "Brest Métropole", "--format", "html", "--sortie", str(sortie), "--tableaux"]) == 0
    assert sorted(p.name for p in sortie.iterdir()) == [
        "fiche-territoire_Brest-Metropole.html",
        "indicateurs-communes_Brest-Metropole.csv", "indicateurs-communes_Brest-Metropole.xlsx",
        "indicateurs-epci_Brest-Metropole.csv", "indicateurs-epci_Brest-Metropole.xlsx",
    ]
    assert "fiche-territoire_Brest-Metropole.html" in capsys.readouterr().out


def test_cli_user_errors_are_one_french_sentence(tmp_path, capsys):
    assert commandes.main(["rapport", "-t", EPCI, "--format", "docx", "--sortie", str(tmp_path)]) == 1
    assert "Format inconnu ou absent « docx »" in capsys.readouterr().err
    faux = tmp_path / "logo.png"
    faux.write_text("pas une image")
    assert commandes.main(["rapport", "-t", EPCI, "--format", "html", "--sortie", str(tmp_path), "--logo", str(faux)]) == 1
    assert "PNG ou JPEG" in capsys.readouterr().err
    assert commandes.main(["rapport", "-t", "zzzz-inconnu", "--sortie", str(tmp_path)]) == 1
