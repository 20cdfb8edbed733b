"""The one-file HTML report audited with axe-core (WCAG 2.1 A/AA) in real Chromium, at a phone's and a
desktop's width: no serious or critical violation, and every chart has its text alternative."""
from __future__ import annotations

import axe
import pytest
from app_server import NAVIGATEUR_REQUIS, chromium

from diagnostics import territories
from diagnostics.diagnostic import diagnostic
from diagnostics.evolution import comparer
from diagnostics.indicators.par_commune import table_communes
from diagnostics.places import charger_lieux, dans_territoire
from diagnostics.rapport import construire, html
from diagnostics.sources.base import Lieux

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def contenu():
    territoire = territories.resolve("epci:242900314")
    resultat = charger_lieux(territoire, "embarque")
    diag = diagnostic(territoire, resultat.lieux, resultat.source)
    # The audited report holds every part, the « Évolution » one included: a later picture with the
    # territory's first three places closed.
    dedans = resultat.lieux.index[dans_territoire(resultat.lieux, territoire)][:3]
    apres = Lieux(lieux=resultat.lieux.drop(index=dedans).reset_index(drop=True), source=resultat.source)
    evolution = comparer(territoire, resultat, apres).to_json()
    return construire(diag, table_communes(territoire, resultat.lieux), lieux=resultat.lieux, evolution=evolution)


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


def test_la_partie_evolution_est_auditee(contenu, page_html):
    evolution = next(s for s in contenu.sections if s.titre == "Évolution")
    assert "3 fermés" in evolution.textes[0]
    assert ">Évolution<" in page_html


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
