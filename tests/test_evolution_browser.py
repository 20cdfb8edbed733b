"""The « Évolution » page in real headless Chromium, at a shared address naming two pictures of a
temporary history: the map and the changes table are drawn, no request leaves the machine, no traceback."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import photos_evolution as pe
import pytest
from app_server import (
    NAVIGATEUR_REQUIS,
    app_server,
    chromium,
    map_frame,
    record_external,
)

from diagnostics.sources.historique import Historique
from diagnostics.views import assets

ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = NAVIGATEUR_REQUIS


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    if assets.assets_manquants():
        assets.installer()
    cache = tmp_path_factory.mktemp("cache_evolution")
    h = Historique(cache / "historique")
    avant, apres = pe.fichiers()
    refs = (
        h.ajouter_fichier(avant, "hub_avant.json", pe.TERRITOIRE, "2023-05-17", len(json.loads(avant))).ref,
        h.ajouter_fichier(apres, "hub_apres.json", pe.TERRITOIRE, "2024-09-12", len(json.loads(apres))).ref,
    )
    with app_server(env={"DIAGNOSTIC_CACHE_DIR": str(cache)}) as (url, _):
        yield url, refs


def test_shared_address_draws_the_map_and_the_table_offline(serveur):
    url, (avant, apres) = serveur
    externes: list[str] = []
    erreurs: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: erreurs.append(str(e)))
        record_external(page, url, externes)
        page.goto(f"{url}/evolution?territoire={pe.TERRITOIRE}&avant={quote(avant)}&apres={quote(apres)}")
        page.get_by_text("Tous les changements").first.wait_for(timeout=90_000)
        frame = map_frame(page, timeout_s=90)
        # Opened places are circle markers on the canvas, closed and moved ones Leaflet divIcons.
        assert frame.evaluate("() => document.querySelectorAll('.leaflet-marker-icon').length") >= 4
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        texte = page.inner_text("body")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "evolution_reg93.png"), full_page=True)
    assert "Lieux ouverts" in texte and "Lieux fermés" in texte
    for trace in ("Traceback", "Error:", "Une erreur inattendue"):
        assert trace not in texte
    assert not externes, f"requêtes vers l'extérieur : {externes[:5]}"
    assert not erreurs, erreurs
