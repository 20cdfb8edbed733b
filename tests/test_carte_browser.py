"""The territory map in real headless Chromium: drawn offline, no outside request, no JS error, no injection."""
from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from diagnostics import reference
from diagnostics.paths import ROOT_DIR
from diagnostics.standard.fields import to_places_frame
from diagnostics.views import assets, carte_territoire

from app_server import NAVIGATEUR_REQUIS, chromium

FIXTURE = Path(__file__).parent / "fixtures" / "carte" / "france_services_29.csv"
ARTIFACTS = Path(__file__).parent / "artifacts"
MALVEILLANT = "<img src=x onerror=alert(1)>"

pytestmark = NAVIGATEUR_REQUIS


def _lieux() -> pd.DataFrame:
    fs = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "id": fs["id_fs"],
            "nom": fs["lib_fs"],
            "adresse": fs["adresse"],
            "complement_adresse": fs["complement_adresse"],
            "code_postal": fs["code_postal"],
            "commune": fs["lib_com"],
            "latitude": fs["latitude"],
            "longitude": fs["longitude"],
            "telephone": fs["telephone"],
            "courriels": fs["mail"],
            "dispositif_programmes_nationaux": "France Services",
            "source": "ANCT (liste des France services, 2023)",
            "code_commune_2026": fs["insee_com"],
        }
    )
    piege = {"id": "piege", "nom": MALVEILLANT, "latitude": "48.2", "longitude": "-4.0", "site_web": "javascript:alert(2)"}
    return to_places_frame(pd.concat([frame, pd.DataFrame([piege])], ignore_index=True))


class _Serveur(http.server.SimpleHTTPRequestHandler):
    """Serves the page's folder, and /vendor/ from the installed static/vendor/."""

    def translate_path(self, path):
        if path.startswith("/vendor/"):
            return str(assets.VENDOR_DIR / path.removeprefix("/vendor/").split("?")[0])
        return super().translate_path(path)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def serveur(tmp_path_factory):
    if assets.assets_manquants():
        try:
            assets.installer(ROOT_DIR)
        except assets.AssetsIndisponibles as erreur:
            pytest.fail(str(erreur))
    dossier = tmp_path_factory.mktemp("carte")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Serveur, directory=str(dossier)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield dossier, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def navigateur():
    with chromium() as browser:
        yield browser


def test_map_draws_offline_without_error_or_injection(serveur, navigateur):
    dossier, origine = serveur
    communes = reference.communes()
    finistere = communes[communes["dep"] == "29"].copy()
    ifn = reference.ifn_communes().set_index("code")["total"]
    finistere["fragilite"] = finistere["code"].map(ifn)
    lieux = _lieux()
    m = carte_territoire(
        lieux,
        finistere,
        finistere,
        indicateur="fragilite",
        libelle_indicateur="Indice de fragilité numérique",
        classes="ifn",
        zones_blanches=["29019"],
        assets_base="/vendor",
    )
    m.save(str(dossier / "carte.html"))

    page = navigateur.new_page(viewport={"width": 1100, "height": 800})
    erreurs, dialogues, bloquees = [], [], []
    page.on("pageerror", lambda e: erreurs.append(str(e)))
    page.on("dialog", lambda d: (dialogues.append(d.message), d.dismiss()))

    # Requests are watched, not intercepted: routing every request through Playwright stalled page
    # loads now and then (seen in CI); the machine has no route out, so any outside request shows here.
    def surveiller(requete):
        if not requete.url.startswith((f"{origine}/", "data:", "blob:", "about:")):
            bloquees.append(requete.url)

    page.on("request", surveiller)
    debut = time.perf_counter()
    page.goto(f"{origine}/carte.html")
    page.wait_for_selector(".leaflet-overlay-pane canvas", timeout=60_000)
    pret = time.perf_counter() - debut

    dessines = page.evaluate(
        """() => Object.keys(window).filter(k => k.startsWith('geo_json_')).map(k => window[k])
                 .filter(c => c.getLayers().length && c.getLayers()[0] instanceof L.CircleMarker)
                 .map(c => c.getLayers().length)"""
    )
    assert dessines == [int(lieux.geometry.notna().sum())]

    # Click on the trap place: its popup must show the name as text, with no <img> element.
    page.wait_for_timeout(1500)  # let fitBounds finish before turning coordinates into a click point
    point = page.evaluate(
        """() => { const m = window[Object.keys(window).find(k => k.startsWith('map_'))];
                   const p = m.latLngToContainerPoint([48.2, -4.0]); const r = m.getContainer().getBoundingClientRect();
                   return [p.x + r.left, p.y + r.top]; }"""
    )
    page.mouse.click(*point)
    popup = page.wait_for_selector(".leaflet-popup-content")
    assert MALVEILLANT in popup.inner_text()
    assert "javascript:alert(2)" in popup.inner_text()
    assert popup.query_selector("img") is None and popup.query_selector("a") is None

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "carte_finistere.png"))
    page.close()
    assert erreurs == []
    assert dialogues == []
    assert bloquees == []
    print(f"carte prête en {pret:.2f} s")
