"""The one-file HTML report audited with axe-core (WCAG 2.1 A/AA) in real Chromium, at a phone's and a
desktop's width: no serious or critical violation, and every chart has its text alternative."""
from __future__ import annotations

import pytest

import axe
from app_server import NAVIGATEUR_REQUIS, chromium
from diagnostics import territories
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators.par_commune import table_communes
from diagnostics.places import charger_lieux
from diagnostics.rapport import construire, html

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def contenu():
    territoire = territories.resolve("epci:242900314")
    resultat = charger_lieux(territoire, "embarque")
    diag = diagnostic(territoire, resultat.lieux, resultat.source)
    return construire(diag, table_communes(territoire, resultat.lieux), lieux=resultat.lieux)


@pytest.fixture(scope="module")
def page_html(contenu):
    return html.page(contenu)


@pytest.mark.parametrize("ecran", list(axe.ECRANS))
def test_rapport_sans_violation_grave(page_html, ecran):
    with chromium() as navigateur:
        page = navigateur.new_page(viewport=axe.ECRANS[ecran])
        page.set_content(page_html)
        violations = axe.auditer(page)
    assert axe.graves(violations) == [], axe.resume(violations)


def test_chaque_graphique_a_sa_phrase_et_ses_donnees(contenu, page_html):
    with chromium() as navigateur:
        page = navigateur.new_page()
        page.set_content(page_html)
        figures = page.locator("figure:has(details)")
        assert figures.count() == len(contenu.graphiques) > 0
        for i in range(figures.count()):
            figure = figures.nth(i)
            alt = figure.locator("img").get_attribute("alt")
            assert alt and not alt.startswith("Graphique ") and len(alt) > 30
            assert figure.locator("details table tbody tr").count() > 0
            assert figure.locator("details summary").text_content() == "Données du graphique"
