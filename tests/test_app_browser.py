"""The dashboard in real headless Chromium: open it, pick a territory in the sidebar, see the places
drawn on the offline map, with no request leaving the machine; a screenshot is kept as an artifact."""
from __future__ import annotations

from pathlib import Path

import pytest

from app_server import NAVIGATEUR_REQUIS, app_server, chromium, drawn_places, record_external, map_frame
from diagnostics.views import assets

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def serveur():
    if assets.assets_manquants():
        assets.installer()
    with app_server() as (url, _):
        yield url


def test_pick_a_territory_and_see_its_places_on_the_map(serveur):
    ARTIFACTS.mkdir(exist_ok=True)
    bloquees: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        erreurs: list[str] = []
        page.on("pageerror", lambda e: erreurs.append(str(e)))
        record_external(page, serveur, bloquees)
        page.goto(f"{serveur}/carte?territoire=dep:29")
        page.get_by_text("Finistère (29)").first.wait_for(timeout=60_000)

        recherche = page.get_by_role("textbox", name="Rechercher un territoire")
        recherche.fill("pays de landivisiau")
        recherche.press("Enter")
        page.get_by_role("combobox", name="Résultats").click()
        page.get_by_role("option", name="CC du Pays de Landivisiau (EPCI)").click()
        page.get_by_text("Carte — CC du Pays de Landivisiau").wait_for(timeout=60_000)
        frame = map_frame(page)
        assert drawn_places(frame) > 0
        assert "territoire=epci%3A242900751" in page.url or "territoire=epci:242900751" in page.url
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "carte_landivisiau.png"), full_page=True)
    assert not bloquees, f"requêtes vers l'extérieur : {bloquees[:5]}"
    assert not erreurs, erreurs


def test_the_same_map_draws_again_for_a_second_session(serveur):
    # Regression: a cached folium Map rendered a second time lost its layer variables.
    with chromium() as browser:
        for _ in range(2):
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            erreurs: list[str] = []
            page.on("pageerror", lambda e: erreurs.append(str(e)))
            page.goto(f"{serveur}/carte?territoire=epci:242900314")
            assert drawn_places(map_frame(page)) > 0
            assert not erreurs, erreurs
            page.close()
