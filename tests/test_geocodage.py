"""Geocoding places without coordinates: a fake Base Adresse Nationale on 127.0.0.1 answering the
`/search/csv/` CSV shape, its on-disk cache, and the fallback to the commune's inner point."""
import csv
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from diagnostics.communes import commune_inner_points
from diagnostics.sources.geocodage import geocoder
from diagnostics.sources.http import RetryPolicy
from diagnostics.standard.fields import CODE_COMMUNE, POSITION_APPROX, to_places_frame

RAPIDE = RetryPolicy(tries=2, backoff=0.0)


class _Ban(BaseHTTPRequestHandler):
    statut = 200
    appels: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        corps = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        type(self).appels.append((self.path, corps))
        if self.statut != 200:
            self.send_response(self.statut)
            self.end_headers()
            return
        debut = corps.index("cle,adresse")
        fin = corps.index("\r\n--", debut)
        lignes = list(csv.DictReader(io.StringIO(corps[debut:fin])))
        sortie = io.StringIO()
        champs = ["cle", "adresse", "code_postal", "commune", "code_insee", "latitude", "longitude", "result_label",
                  "result_score", "result_type", "result_citycode"]
        w = csv.DictWriter(sortie, champs, lineterminator="\n")
        w.writeheader()
        for ligne in lignes:
            trouve = "rue" in ligne["adresse"]
            w.writerow({**ligne, "latitude": "48.39" if trouve else "", "longitude": "-4.48" if trouve else "",
                        "result_label": f"{ligne['adresse']} Brest" if trouve else "", "result_score": "0.91" if trouve else "",
                        "result_type": "housenumber" if trouve else "", "result_citycode": "29019" if trouve else ""})
        octets = sortie.getvalue().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(octets)))
        self.end_headers()
        self.wfile.write(octets)

    def log_message(self, *args):
        pass


@pytest.fixture
def ban():
    _Ban.statut, _Ban.appels = 200, []
    serveur = ThreadingHTTPServer(("127.0.0.1", 0), _Ban)
    threading.Thread(target=serveur.serve_forever, daemon=True).start()
    yield serveur
    serveur.shutdown()


def _lieux():
    frame = pd.DataFrame({
        "nom": ["Mairie", "Médiathèque", "Déjà placé", "Inconnu"],
        "adresse": ["2 rue Frézier", "Place de la Liberté", "1 rue X", ""],
        "code_postal": ["29200", "29200", "29200", ""],
        "commune": ["Brest", "Brest", "Brest", ""],
        "code_insee": ["29019", "29019", "29019", ""],
        "latitude": [None, None, 48.0, None],
        "longitude": [None, None, -4.0, None],
    })
    frame[CODE_COMMUNE] = ["29019", "29019", "29019", ""]
    return to_places_frame(frame)


def test_offline_commune_inner_point(tmp_path):
    g = geocoder(_lieux(), False, dossier_cache=tmp_path)
    centre = commune_inner_points(["29019"]).iloc[0]
    assert g.lieux.loc[0, "latitude"] == centre["latitude"] and g.lieux.loc[1, "longitude"] == centre["longitude"]
    assert g.lieux[POSITION_APPROX].tolist() == [True, True, False, False]
    assert g.lieux.loc[2, "latitude"] == 48.0  # existing coordinates untouched
    assert pd.isna(g.lieux.loc[3, "latitude"])  # nothing to place it with: left empty, said
    assert (g.n_ban, g.n_commune, g.n_sans_position) == (0, 2, 1)
    assert "centre de la commune" in g.lieux.loc[0, "anomalies"]
    assert len(g.changements) == 4 and set(g.changements["ligne"]) == {1, 2}
    assert len(g.lieux) == 4


def test_ban_places_addresses_and_caches(ban, tmp_path):
    url = f"http://127.0.0.1:{ban.server_port}"
    g = geocoder(_lieux(), url, dossier_cache=tmp_path, policy=RAPIDE)
    assert g.lieux.loc[0, ["latitude", "longitude"]].tolist() == [48.39, -4.48]
    assert not g.lieux.loc[0, POSITION_APPROX]
    assert "Base Adresse Nationale" in g.lieux.loc[0, "anomalies"] and "0,91" in g.lieux.loc[0, "anomalies"]
    assert g.lieux.loc[1, POSITION_APPROX]  # not found by the BAN: commune inner point
    assert (g.n_ban, g.n_commune) == (1, 1)
    assert _Ban.appels[0][0] == "/search/csv/" and "2 rue Fr" in _Ban.appels[0][1]
    assert 'name="columns"' in _Ban.appels[0][1] and 'name="citycode"' in _Ban.appels[0][1]
    # Second run: answered from the cache, no request.
    g2 = geocoder(_lieux(), url, dossier_cache=tmp_path, policy=RAPIDE)
    assert len(_Ban.appels) == 1 and g2.n_ban == 1


def test_ban_failure_falls_back(ban, tmp_path):
    _Ban.statut = 503
    g = geocoder(_lieux(), f"http://127.0.0.1:{ban.server_port}", dossier_cache=tmp_path, policy=RAPIDE)
    assert len(_Ban.appels) == 2  # retried once
    assert g.n_ban == 0 and g.n_commune == 2
    assert any("Base Adresse Nationale n'a pas répondu" in line for line in g.rapport)


def test_env_url_and_unreachable_server(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSTIC_BAN_URL", "http://127.0.0.1:9")
    g = geocoder(_lieux(), True, dossier_cache=tmp_path, policy=RAPIDE)
    assert g.n_commune == 2 and any("connexion impossible" in line for line in g.rapport)
