"""Priority-territory layers and the place filter of the map, in real headless Chromium."""
from __future__ import annotations

import functools
import http.server
import threading

import pytest

from diagnostics import places, territories
from diagnostics.indicators import priorites
from diagnostics.paths import ROOT_DIR
from diagnostics.views import assets, carte_territoire
from diagnostics.views.carte_zonage import NOM_FRR, NOM_QPV, couches_zonage

from app_server import NAVIGATEUR_REQUIS, chromium

pytestmark = NAVIGATEUR_REQUIS


class _Serveur(http.server.SimpleHTTPRequestHandler):
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
    dossier = tmp_path_factory.mktemp("carte_zonage")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Serveur, directory=str(dossier)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield dossier, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def navigateur():
    with chromium() as browser:
        yield browser


def _carte(dossier, choix: str) -> tuple[str, int]:
    t = territories.resolve("dep:29")
    lieux = places.lieux_embarques(t).lieux
    lieux = lieux[places.dans_territoire(lieux, t)]
    communes = territories.communes_frame(t)[["code", "nom", "geometry"]]
    choisis = lieux[priorites.filtre_prioritaire(lieux, choix)]
    m = carte_territoire(choisis, communes, communes, couches_sup=couches_zonage(t, communes), assets_base="/vendor")
    nom = f"carte_{choix}.html"
    m.save(str(dossier / nom))
    return nom, int(choisis.geometry.notna().sum())


_COUCHES = """() => {
    const m = window[Object.keys(window).find(k => k.startsWith('map_'))];
    return Object.keys(window).filter(k => k.startsWith('geo_json_')).map(k => window[k]).map(c => ({
        n: c.getLayers().length, sur_carte: m.hasLayer(c),
        points: c.getLayers().length > 0 && c.getLayers()[0] instanceof L.CircleMarker}));
}"""


def test_qpv_and_frr_layers_and_the_filter(serveur, navigateur):
    dossier, origine = serveur
    t = territories.resolve("dep:29")
    nb_qpv = len(priorites.qpv_du_territoire(t.codes_communes))
    nb_frr = int(priorites.est_frr(priorites.classement_frr(list(t.codes_communes))).sum())
    assert nb_qpv == 9 and nb_frr > 0
    erreurs = []
    resultats = {}
    for choix in ("tous", "qpv", "frr"):
        nom, attendus = _carte(dossier, choix)
        page = navigateur.new_page(viewport={"width": 1100, "height": 800})
        page.on("pageerror", lambda e: erreurs.append(str(e)))
        page.goto(f"{origine}/{nom}")
        page.wait_for_selector(".leaflet-overlay-pane canvas", timeout=60_000)
        couches = page.evaluate(_COUCHES)
        points = [c["n"] for c in couches if c["points"]]
        resultats[choix] = (points, attendus)
        if choix == "tous":
            # The two layers are in the layer control, the QPV outlines shown, the FRR communes hidden.
            libelles = page.eval_on_selector_all(".leaflet-control-layers-overlays label", "ls => ls.map(l => l.textContent.trim())")
            assert NOM_QPV in libelles and NOM_FRR in libelles
            assert {"n": nb_qpv, "sur_carte": True, "points": False} in couches
            assert {"n": nb_frr, "sur_carte": False, "points": False} in couches
            page.hover(".leaflet-control-layers")
            page.locator(".leaflet-control-layers-overlays label", has_text=NOM_FRR).locator("input").check()
            assert {"n": nb_frr, "sur_carte": True, "points": False} in page.evaluate(_COUCHES)
            page.locator(".leaflet-control-layers-overlays label", has_text=NOM_QPV).locator("input").uncheck()
            assert {"n": nb_qpv, "sur_carte": False, "points": False} in page.evaluate(_COUCHES)
            legende = page.inner_text(".carte-legende")
            assert "QPV 2024 (9)" in legende and "10 juillet 2025" in legende
        page.close()
    assert erreurs == []
    for choix, (points, attendus) in resultats.items():
        assert points == ([attendus] if attendus else []), choix
    assert 0 < resultats["qpv"][1] < resultats["frr"][1] < resultats["tous"][1]
