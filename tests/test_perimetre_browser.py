"""A perimeter built in the sidebar of the real dashboard, in headless Chromium: typed entries, the preview
(communes, population, outline), « Appliquer », then the map of its places and the Synthèse; the shared
URL opens the same perimeter in a new tab, a damaged one says so in French; no request leaves the machine."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from app_server import NAVIGATEUR_REQUIS, app_server, chromium, drawn_places, map_frame, record_external
from diagnostics import territories
from diagnostics.views import assets
from diagnostics.views.format import nombre

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def serveur():
    if assets.assets_manquants():
        assets.installer()
    with app_server() as (url, _):
        yield url


def test_build_a_perimeter_in_the_sidebar_then_see_its_map_and_synthese(serveur):
    ARTIFACTS.mkdir(exist_ok=True)
    attendu = territories.get("epci:242900694").population + territories.get("commune:29019").population
    externes: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        erreurs: list[str] = []
        page.on("pageerror", lambda e: erreurs.append(str(e)))
        record_external(page, serveur, externes)
        page.goto(f"{serveur}/carte?territoire=dep:29")
        page.get_by_text("Finistère (29)").first.wait_for(timeout=60_000)

        page.get_by_text("Périmètre personnalisé").first.click()
        nom = page.get_by_role("textbox", name="Nom du périmètre")
        nom.fill("Bassin <i>de</i> Morlaix")
        nom.press("Enter")
        saisie = page.get_by_role("textbox", name="Communes, EPCI, départements, arrondissements")
        saisie.fill("epci:242900694\ncommune:29019\nxyzzy")
        saisie.press("Control+Enter")  # a text area is sent with Ctrl+Entrée (or when it loses focus)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("17 communes").wait_for(timeout=60_000)
        assert nombre(attendu) in sidebar.inner_text()
        sidebar.get_by_text("« xyzzy »", exact=False).first.wait_for(timeout=10_000)
        apercu = sidebar.locator('img[src^="data:image/svg+xml"]')  # outline preview, drawn offline
        apercu.first.wait_for(timeout=30_000)  # the image element arrives after the text of the same rerun
        assert apercu.count() == 1
        page.screenshot(path=str(ARTIFACTS / "perimetre_apercu.png"), full_page=True)

        page.get_by_role("button", name="Appliquer").click()
        page.get_by_text("Carte — Bassin ide/i Morlaix", exact=False).first.wait_for(timeout=60_000)
        frame = map_frame(page)
        assert drawn_places(frame) > 0
        assert frame.evaluate("() => document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-overlay-pane canvas').length") > 0
        ident = parse_qs(urlparse(page.url).query)["territoire"][0]
        t = territories.resolve(ident)
        assert t.niveau == "perimetre" and t.population == attendu
        page.screenshot(path=str(ARTIFACTS / "perimetre_carte.png"), full_page=True)

        page.get_by_role("link", name="Synthèse").click()
        page.get_by_role("heading", name="Bassin ide/i Morlaix (périmètre)").wait_for(timeout=60_000)
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
        principal = page.locator('[data-testid="stMain"]').inner_text()
        assert "Aucun pair" in principal and "Lambert-93" in principal, principal[:1500]
        assert page.locator("i", has_text="de").count() == 0  # the name's markup never became HTML

        # The shared link opens the same perimeter in a fresh tab; a damaged one says so in French.
        autre = browser.new_page(viewport={"width": 1200, "height": 900})
        autre.goto(f"{serveur}/?territoire={ident}")
        autre.get_by_role("heading", name="Bassin ide/i Morlaix (périmètre)").wait_for(timeout=60_000)
        abime = browser.new_page(viewport={"width": 1200, "height": 900})
        abime.goto(f"{serveur}/?territoire={ident[:-6]}")
        abime.get_by_text("Le lien du périmètre est abîmé", exact=False).first.wait_for(timeout=60_000)
    assert not externes, f"requêtes vers l'extérieur : {externes[:5]}"
    assert not erreurs, erreurs
