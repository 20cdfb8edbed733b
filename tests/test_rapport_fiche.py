"""The fiche territoire one can project without retouching it (issue 17), on the real embedded places of
the CC du Pays de Landivisiau with hand-built optional parts (priority territories, human resources,
évolution): PDF text sizes and page furniture read back with pdfplumber, the PDF pages rendered to PNG
with pdftoppm and kept for a person to look at, the PPTX read back with python-pptx."""
from __future__ import annotations

import copy
import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pdfplumber
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Pt

from diagnostics import commandes, territories
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators.par_commune import table_communes
from diagnostics.places import charger_lieux
from diagnostics.rapport import construire, fichiers_rapport
from diagnostics.rapport.mise_en_page import pages

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium absent : installez le paquet Debian chromium.")

EPCI = "epci:242900751"
ARTEFACTS = Path(os.environ.get("DIAGNOSTIC_ARTEFACTS") or Path(__file__).parent / "artifacts") / "rapport"
DATE = re.compile(r"\d{1,2}(er)? (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}")
AUTEUR = "Préfecture du Finistère — mission inclusion numérique"

# The shapes of indicators/priorites.py and indicators/moyens_humains.py (diagnostic parts).
PRIORITAIRES = {
    "qpv": {"nb_quartiers": 2, "population": 3100, "nb_lieux": 1, "lieux_pour_10000_habitants": 3.2,
            "part_population_a_moins_de": {"5": 1.0, "10": 1.0},
            "hors_zone": {"population": 30978, "nb_lieux": 1, "lieux_pour_10000_habitants": 0.3,
                          "part_population_a_moins_de": {"5": 0.63, "10": 0.83}},
            "ecart": "Dans les QPV, 100 % des habitants vivent à 10 km au plus d'un lieu, contre 83 % dans le reste.",
            "source": {"fichier": "data/qpv.parquet", "libelle": "ANCT — quartiers prioritaires 2024", "date": "2024"}},
    "frr": {"fichier_manquant": "data/frr_communes.parquet",
            "message": "Le fichier du classement FRR (data/frr_communes.parquet) manque : pas de chiffres FRR."},
}
MOYENS = {
    "conseillers_numeriques": {"recrutes": 3, "recrutes_pour_10000_habitants": 0.88, "recrutes_par_lieu": 1.5,
                               "source": {"libelle": "Conseillers numériques", "date": "2023"}, "date": "2023"},
    "aidants_connect": {"aidants_habilites": 7, "aidants_pour_10000_habitants": 2.05, "aidants_par_lieu": 3.5,
                        "usagers_uniques": 12, "demarches": 55,
                        "demarches_par_theme": [{"theme": "Famille", "demarches": 27, "part": 0.49}],
                        "source": {"libelle": "Aidants Connect", "date": "2024-02-22"}, "date": "2024-02-22"},
}
EVOLUTION = {
    "avant": {"source": "Instantané de 2023", "date": "2023-03-01", "nb_lieux": 3, "lieux_pour_10000_habitants": 0.88},
    "apres": {"source": "Instantané de 2024", "date": "2024-02-22", "nb_lieux": 2, "lieux_pour_10000_habitants": 0.59},
    "ouverts": [{"id": "a1", "nom": "Médiathèque de Sizun", "commune": "Sizun"}],
    "fermes": [{"id": "b1", "nom": "Espace numérique", "commune": "Bodilis"},
               {"id": "b2", "nom": "Point info", "commune": "Guiclan"}],
    "deplaces": [], "modifies": [{"id": "c1", "nom": "Mairie de Plounéventer", "commune": "Plounéventer"}],
    "communes_devenues_zones_blanches": [{"code": "29277", "nom": "Sizun"}],
    "communes_sorties_des_zones_blanches": [],
}


@pytest.fixture(scope="module")
def donnees():
    t = territories.resolve(EPCI)
    resultat = charger_lieux(t, "embarque")
    diag = diagnostic(t, resultat.lieux, resultat.source)
    diag = {**diag, "territoires_prioritaires": PRIORITAIRES, "moyens_humains": MOYENS}
    return resultat, diag, table_communes(t, resultat.lieux)


@pytest.fixture(scope="module")
def rapport(donnees):
    resultat, diag, table = donnees
    contenu = construire(diag, table, lieux=resultat.lieux, auteur=AUTEUR, evolution=EVOLUTION)
    fichiers = fichiers_rapport(contenu)
    return contenu, {n.rsplit(".", 1)[1]: f for n, f in fichiers.items()}


def _taille(c: dict) -> float:
    # pdfminer gives a rotated glyph (an axis title) the height of its box, i.e. its advance: take the
    # box's other side, which is the font size.
    return c["size"] if c["upright"] else c["x1"] - c["x0"]


def test_pdf_has_no_text_under_9_points(rapport):
    _, fichiers = rapport
    with pdfplumber.open(io.BytesIO(fichiers["pdf"])) as pdf:
        petits = [(i + 1, c["text"], round(_taille(c), 1)) for i, p in enumerate(pdf.pages) for c in p.chars
                  if c["text"].strip() and _taille(c) < 8.95]
        assert sum(len(p.chars) for p in pdf.pages) > 5000  # the charts' text is text too, and was measured
    assert petits == []


def test_pdf_every_page_has_its_title_number_and_source(rapport):
    contenu, fichiers = rapport
    attendues = pages(contenu, "page")
    assert len(attendues) < len(pages(contenu))  # small blocks share a printed page
    with pdfplumber.open(io.BytesIO(fichiers["pdf"])) as pdf:
        assert len(pdf.pages) == len(attendues)
        for i, (p, page) in enumerate(zip(pdf.pages, attendues), start=1):
            texte = p.extract_text()
            titre = contenu.titre if page.genre == "couverture" else page.titre
            assert texte.splitlines()[0] == titre, i
            assert f"Page {i} sur {len(attendues)}" in texte, i
            pied = " ".join(texte.splitlines()[-3:])
            assert "Source" in pied and DATE.search(pied), (i, pied)


def test_pdf_map_fills_most_of_a_landscape_page(rapport):
    contenu, fichiers = rapport
    numero = next(p.numero for p in pages(contenu, "page") if p.carte)
    with pdfplumber.open(io.BytesIO(fichiers["pdf"])) as pdf:
        page = pdf.pages[numero - 1]
        assert page.width > page.height
        plus_grande = max((i["x1"] - i["x0"]) * (i["bottom"] - i["top"]) for i in page.images)
        assert plus_grande >= 0.6 * page.width * page.height


def test_pdf_pages_rendered_to_png_for_a_person_to_look_at(rapport):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm absent : installez le paquet Debian poppler-utils (make system).")
    contenu, fichiers = rapport
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for ancien in ARTEFACTS.glob("landivisiau-*.png"):
        ancien.unlink()
    (ARTEFACTS / "landivisiau.pdf").write_bytes(fichiers["pdf"])
    (ARTEFACTS / "landivisiau.pptx").write_bytes(fichiers["pptx"])
    (ARTEFACTS / "landivisiau.html").write_bytes(fichiers["html"])
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(ARTEFACTS / "landivisiau.pdf"), str(ARTEFACTS / "landivisiau")],
                   check=True, timeout=120)
    images = sorted(ARTEFACTS.glob("landivisiau-*.png"))
    assert len(images) == len(pages(contenu, "page"))
    assert all(i.stat().st_size > 5000 for i in images)


def test_pptx_runs_are_12_points_or_more_and_tables_native(rapport):
    contenu, fichiers = rapport
    prs = Presentation(io.BytesIO(fichiers["pptx"]))
    petits, tables = [], 0
    for n, diapo in enumerate(prs.slides, start=1):
        cadres = [sh.text_frame for sh in diapo.shapes if sh.has_text_frame]
        for sh in diapo.shapes:
            if sh.has_table:
                tables += 1
                cadres += [c.text_frame for row in sh.table.rows for c in row.cells]
        for cadre in cadres:
            for paragraphe in cadre.paragraphs:
                for run in paragraphe.runs:
                    if run.text.strip() and (run.font.size is None or run.font.size < Pt(12)):
                        petits.append((n, run.text[:30], run.font.size))
    assert petits == []
    assert tables == sum(1 for p in pages(contenu) if p.tableau is not None) >= 8


def test_pptx_slides_have_title_number_source_and_chart_data_in_notes(rapport):
    contenu, fichiers = rapport
    prs = Presentation(io.BytesIO(fichiers["pptx"]))
    attendues = pages(contenu)
    assert len(prs.slides) == len(attendues)
    for n, (diapo, page) in enumerate(zip(prs.slides, attendues), start=1):
        textes = [sh.text_frame.text for sh in diapo.shapes if sh.has_text_frame]
        assert (contenu.titre if page.genre == "couverture" else page.titre) == textes[0]
        assert f"{n} / {len(attendues)}" in textes
        assert any(t.startswith("Source") and DATE.search(t) for t in textes), n
        if page.graphique is not None:
            assert sum(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in diapo.shapes) == 1
            notes = diapo.notes_slide.notes_text_frame.text
            entetes, lignes = page.graphique.donnees
            assert lignes and all(" · ".join(l) in notes for l in lignes)
    couverture = " ".join(sh.text_frame.text for sh in prs.slides[0].shapes if sh.has_text_frame)
    assert AUTEUR in couverture and "CC du Pays de Landivisiau (EPCI)" in couverture
    assert all(c.valeur in couverture for c in contenu.chiffres) and len(contenu.chiffres) == 4


def test_cover_figures_and_findings(rapport, donnees):
    contenu, _ = rapport
    _, diag, _ = donnees
    libelles = [c.libelle for c in contenu.chiffres]
    assert libelles == ["lieux d'inclusion numérique", "lieux pour 10 000 habitants",
                        "des habitants à moins de 10\u202fkm d'un lieu", "habitants en zone blanche (plus de 10\u202fkm)"]
    assert contenu.chiffres[0].valeur == str(diag["nb_lieux"]) and contenu.chiffres[0].repere.startswith("Finistère")
    assert 3 <= len(contenu.a_retenir) <= 5
    assert all(k.chiffre and k.source.startswith("Source") for k in contenu.a_retenir)
    assert contenu.miniature.startswith(b"\x89PNG")


def test_optional_sections_are_rendered(rapport):
    contenu, fichiers = rapport
    titres = [s.titre for s in contenu.sections]
    assert "Territoires prioritaires et moyens humains" in titres and "Évolution" in titres
    assert "Territoires comparables" in titres
    prioritaires = next(s for s in contenu.sections if s.titre == "Territoires prioritaires et moyens humains")
    zones = [l[0] for l in prioritaires.tableaux[0].lignes]
    assert zones == ["Quartiers prioritaires (QPV)", "Reste du territoire (hors QPV)"]  # the null FRR is left out
    assert prioritaires.tableaux[1].lignes == [
        ["Conseillers numériques recrutés", "3", "0,9", "1,5"], ["Aidants habilités Aidants Connect", "7", "2,0", "3,5"]
    ]
    texte = " ".join(prioritaires.textes)
    assert "contre 83 %" in texte and "data/frr_communes.parquet" in texte  # the gap, and the missing file said
    assert "Famille (49\u202f%)" in texte
    evolution = next(s for s in contenu.sections if s.titre == "Évolution")
    mouvements = {l[0]: l[1] for l in evolution.tableaux[1].lignes}
    assert mouvements == {"Lieux ouverts": "1", "Lieux fermés": "2", "Lieux déplacés": "0", "Lieux modifiés": "1"}
    assert "Sizun" in evolution.tableaux[2].lignes[0][2]
    with pdfplumber.open(io.BytesIO(fichiers["pdf"])) as pdf:
        texte = " ".join(p.extract_text() for p in pdf.pages)
    assert "Médiathèque de Sizun (Sizun)" in texte and "Aidants Connect" in texte


def test_sections_without_data_are_left_out(donnees):
    _, diag, table = donnees
    nu = {k: v for k, v in diag.items() if k not in ("territoires_prioritaires", "moyens_humains")}
    nu["comparaison"] = {k: v for k, v in diag["comparaison"].items() if k != "mediane_pairs"}
    nu["ou_ouvrir"] = {"sites": []}
    nu["horaires"] = {"nb_lieux": 2, "exploitables": 0}
    contenu = construire(nu, table, avec_carte=False)
    titres = [s.titre for s in contenu.sections]
    for absent in ("Territoires prioritaires et moyens humains", "Évolution", "Territoires comparables",
                   "Horaires d'ouverture", "Carte du territoire"):
        assert absent not in titres
    zones = next(s for s in contenu.sections if s.titre == "Zones blanches et priorités")
    assert not any(t.titre.startswith("Où ouvrir") for t in zones.tableaux)
    assert all(g.donnees[1] for g in contenu.graphiques)  # no chart without data
    vide = {**nu, "territoires_prioritaires": {"qpv": None, "frr": None}, "moyens_humains": {}}
    assert "Territoires prioritaires et moyens humains" not in [s.titre for s in construire(vide, table, avec_carte=False).sections]


class _Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.balises: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.balises.append((tag, dict(attrs)))


def test_html_is_semantic(rapport):
    _, fichiers = rapport
    structure = _Structure()
    structure.feed(fichiers["html"].decode("utf-8"))
    balises = structure.balises
    assert ("html", {"lang": "fr"}) in balises
    noms = [t for t, _ in balises]
    assert noms.count("h1") == 1 and noms.index("h1") < noms.index("h2") and "h3" not in noms[:noms.index("h2")]
    assert "main" in noms and "header" in noms
    assert all(a.get("alt") and len(a["alt"]) > 20 for t, a in balises if t == "img")
    assert all(a.get("scope") in ("col", "row") for t, a in balises if t == "th")


def test_findings_for_a_hand_built_territory():
    from diagnostics.rapport.retenir import constats

    diag = {
        "territoire": {"id": "epci:1", "nom": "Pays de Test", "libelle": "Pays de Test (EPCI)"},
        "parametres": {"rayon_km": 10.0},
        "lieux_pour_10000_habitants": 0.5, "distance_mediane_km": 0.04,
        "part_population_a_moins_de": {"5": 0.8, "10": 0.9},
        "zones_blanches": [{"code": "1", "nom": "Petitbourg", "population": 300, "distance_km": 11.0},
                           {"code": "2", "nom": "Grandbourg", "population": 1200, "distance_km": 12.5}],
        "zones_blanches_population": 1500, "zones_blanches_nb_communes": 2,
        "comparaison": {"departement": {"id": "dep:99", "nom": "Testois", "lieux_pour_10000_habitants": 1.5,
                                        "part_population_a_moins_de": {"10": 0.95}}},
        "qualite": {"nb_lieux": 4, "reference": "2026-12-06", "a_faire": {"lieux_concernes": 3, "part_lieux_concernes": 0.75}},
        "fragilite": {"priorites": [{"nom": "Petitbourg", "score": 0.41}, {"nom": "Grandbourg", "score": 0.3}]},
    }
    resultat = constats(diag, "Source : essai — données du 1er mars 2024.")
    textes = [c.texte for c in resultat]
    assert textes == [
        "Pays de Test compte 0,5 lieu pour 10 000 habitants, moins que le département (Testois) : 1,5.",
        "Grandbourg (1\u202f200 habitants) est la commune la plus peuplée sans lieu à moins de 10 km : le plus proche "
        "est à 12,5\u202fkm. En tout, 1\u202f500 habitants de 2 communes sont dans ce cas.",
        "3 fiches de lieux sur 4 (75\u202f%) ont au moins un point à mettre à jour (fraîcheur, position, contacts, "
        "horaires ou doublon).",
        "Communes à prioriser, où la fragilité numérique et l'éloignement d'un lieu se cumulent : Petitbourg et Grandbourg.",
        "Au moins la moitié des habitants ont un lieu d'inclusion numérique dans leur commune.",
    ]
    assert not any("0,0" in t for t in textes)
    assert resultat[4].chiffre == "distance médiane : moins de 100 m"
    assert resultat[2].source.endswith("Contrôles de qualité au 6 décembre 2026.")
    assert all(c.source.startswith("Source : essai") for c in resultat)
    loin = constats({**copy.deepcopy(diag), "distance_mediane_km": 3.62}, "Source : essai.")
    assert "La moitié des habitants vit à moins de 3,6\u202fkm du lieu le plus proche." in [c.texte for c in loin]


def test_cli_author_option_is_written_on_the_cover_as_text(tmp_path, capsys):
    sortie = tmp_path / "fiche"
    auteur = "Mairie <b>de</b> Landivisiau & co"
    assert commandes.main(["rapport", "-t", EPCI, "--format", "html", "--sortie", str(sortie), "--auteur", auteur]) == 0
    page = (sortie / "fiche-territoire_CC-du-Pays-de-Landivisiau.html").read_text(encoding="utf-8")
    assert "par Mairie &lt;b&gt;de&lt;/b&gt; Landivisiau &amp; co" in page and "<b>de</b>" not in page


def test_pptx_shapes_stay_on_the_slide_and_above_the_footer(rapport):
    from diagnostics.rapport.pptx import PIED

    _, fichiers = rapport
    prs = Presentation(io.BytesIO(fichiers["pptx"]))
    for n, diapo in enumerate(prs.slides, start=1):
        for forme in diapo.shapes:
            assert forme.left >= 0 and forme.top >= 0 and forme.left + forme.width <= prs.slide_width, (n, forme.name)
            if forme.top < PIED:  # everything but the footer ends above it
                assert forme.top + forme.height <= PIED, (n, forme.name)


def test_nord_report_never_reads_zero_km():
    t = territories.resolve("dep:59")
    resultat = charger_lieux(t, "embarque")
    diag = diagnostic(t, resultat.lieux, resultat.source)
    table = table_communes(t, resultat.lieux)
    contenu = construire(diag, table, avec_carte=False)
    textes = [contenu.synthese, *(k.texte for k in contenu.a_retenir), *(k.chiffre for k in contenu.a_retenir)]
    for s in contenu.sections:
        textes += s.textes
        textes += [cellule for tableau in s.tableaux for ligne in tableau.lignes for cellule in ligne]
    assert "dans leur commune" in " ".join(textes)
    assert [x for x in textes if "0,0\u202fkm" in x] == []


def test_pptx_chart_and_map_text_is_12_points_once_placed(rapport):
    from diagnostics.rapport.mise_en_page import LARGEUR_GRAPHIQUE_PX, POLICE_DIAPO_PX
    from diagnostics.rapport.mise_en_page import CARTE_DIAPO_POUCES

    contenu, fichiers = rapport
    prs = Presentation(io.BytesIO(fichiers["pptx"]))
    vus = 0
    for diapo, page in zip(prs.slides, pages(contenu)):
        images = [sh for sh in diapo.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
        if page.graphique is not None:
            points_par_pixel = images[0].width / 12_700 / LARGEUR_GRAPHIQUE_PX
            assert POLICE_DIAPO_PX * points_par_pixel >= 12, page.titre
            vus += 1
        if page.carte:  # drawn at its placed size: its 12 pt text stays 12 pt
            assert abs(images[0].width / 914_400 - CARTE_DIAPO_POUCES[0]) < 0.05
            assert diapo.shapes[0].top + diapo.shapes[0].height <= images[0].top
            assert images[0].width * images[0].height >= 0.6 * prs.slide_width * prs.slide_height
    assert vus == len(contenu.graphiques)
