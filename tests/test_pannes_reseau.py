"""Fault injection on the network paths not covered by test_api / test_dataspace / test_cache: the
Base Adresse Nationale geocoder and OSRM through every failure of the matrix, the national export
through a mid-body timeout, 502 and a truncated gzip body, and a process killed with SIGKILL in the
middle of a download. Each case: a French message, no crash, the previous good data still served,
the cache never corrupted."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest

from diagnostics.sources.base import SourceIndisponible
from fake_api import FIXTURE, TOKEN, FakeApi

from diagnostics import diagnostic as diag
from diagnostics import territories
from diagnostics.indicators import temps_route
from diagnostics.sources import api, dataspace
from diagnostics.sources.cache import Cache
from diagnostics.sources.geocodage import geocoder
from diagnostics.sources.http import RetryPolicy
from diagnostics.standard.fields import CODE_COMMUNE, to_places_frame

RAPIDE = RetryPolicy(tries=2, backoff=0.0, backoff_max=0.0, retry_after_max=0.2)
ROOT = Path(__file__).resolve().parents[1]
_HTML = b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>"
_BAN_CHAMPS = ["cle", "adresse", "code_postal", "commune", "code_insee", "latitude", "longitude", "result_label",
               "result_score", "result_type", "result_citycode"]


class _Serveur(BaseHTTPRequestHandler):
    """One misbehaving server for the three services; `plan` holds the next requests' behaviours."""

    plan: ClassVar[list[str]] = []
    requetes: ClassVar[list[str]] = []
    envoye = threading.Event()  # set once a "trickle" answer has sent its first half

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._servir(None)

    def do_POST(self):
        self._servir(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))

    def _servir(self, corps_requete):
        type(self).requetes.append(self.path)
        comportement = type(self).plan.pop(0) if type(self).plan else "ok"
        if comportement == "429":
            return self._envoyer(429, b"Too Many Requests", "text/plain", {"Retry-After": "0"})
        if comportement.isdigit():
            return self._envoyer(int(comportement), _HTML, "text/html")
        if comportement == "html":
            return self._envoyer(200, _HTML, "text/html; charset=utf-8")
        corps, type_contenu = self._corps(corps_requete, comportement)
        if comportement == "invalid_utf8":
            corps = b"\xff\xfe" + corps.replace(b"a", b"\xe9")
        if comportement in ("truncated", "slow_body", "trickle"):
            self.send_response(200)
            self.send_header("Content-Type", type_contenu)
            self.send_header("Content-Length", str(len(corps)))
            self.end_headers()
            self.wfile.write(corps[: len(corps) // 2])
            self.wfile.flush()
            if comportement == "trickle":
                type(self).envoye.set()
            time.sleep({"truncated": 0.0, "slow_body": 1.0, "trickle": 20.0}[comportement])
            self.close_connection = True
            return
        self._envoyer(200, corps, type_contenu)

    def _corps(self, corps_requete, comportement) -> tuple[bytes, str]:
        chemin = urlsplit(self.path)
        if chemin.path.startswith("/search/csv"):
            return _reponse_ban(corps_requete, comportement), "text/csv; charset=utf-8"
        if chemin.path.startswith("/table/v1"):
            return _reponse_osrm(chemin, comportement), "application/json"
        return FIXTURE.read_bytes(), "text/csv; charset=utf-8"

    def _envoyer(self, statut, corps, type_contenu, entetes=None):
        self.send_response(statut)
        self.send_header("Content-Type", type_contenu)
        self.send_header("Content-Length", str(len(corps)))
        for nom, valeur in (entetes or {}).items():
            self.send_header(nom, valeur)
        self.end_headers()
        self.wfile.write(corps)


def _reponse_ban(corps_requete: str, comportement: str) -> bytes:
    debut = corps_requete.index("cle,adresse")
    lignes = list(csv.DictReader(io.StringIO(corps_requete[debut : corps_requete.index("\r\n--", debut)])))
    champs = list(_BAN_CHAMPS)
    if comportement == "changed_columns":  # renamed coordinates, one extra column
        champs = [{"latitude": "lat", "longitude": "lon"}.get(c, c) for c in champs] + ["result_district"]
    elif comportement == "extra_columns":
        champs = champs + ["result_district"]
    sortie = io.StringIO()
    w = csv.DictWriter(sortie, champs, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for ligne in lignes * (10 if comportement == "big" else 1):
        valeurs = {**ligne, "latitude": "48.39", "longitude": "-4.48", "lat": "48.39", "lon": "-4.48",
                   "result_label": f"{ligne['adresse']} Brest", "result_score": "0.91", "result_type": "housenumber",
                   "result_citycode": "29019", "result_district": "x"}
        w.writerow(valeurs)
    return sortie.getvalue().encode("utf-8")


def _reponse_osrm(chemin, comportement: str) -> bytes:
    q = parse_qs(chemin.query)
    sources = q["sources"][0].split(";")
    dests = q["destinations"][0].split(";")
    durees = [[600.0 for _ in dests] for _ in sources]  # 10 minutes everywhere
    corps: object = {"code": "Ok", "durations": durees}
    if comportement == "changed_columns":
        corps = {"code": "Ok", "duree": durees}
    elif comportement == "extra_columns":
        corps = {"code": "Ok", "durations": durees, "distances": durees, "metadata": {"v": 6}}
    elif comportement == "big":  # ten times the expected rows
        corps = {"code": "Ok", "durations": durees * 10}
    elif comportement == "padded":  # ten times the expected size, still a valid table
        corps = {"code": "Ok", "durations": durees, "sources": [{"hint": "x" * 1000}] * 10 * len(sources)}
    elif comportement == "liste":
        corps = [durees]
    elif comportement == "texte":
        corps = {"code": "Ok", "durations": [["dix minutes"] * len(dests) for _ in sources]}
    return json.dumps(corps).encode("utf-8")


@pytest.fixture(scope="module")
def serveur():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Serveur)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _remise_a_zero():
    _Serveur.plan, _Serveur.requetes = [], []
    _Serveur.envoye.clear()


def _port_ferme() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# -- the address API (BAN) ------------------------------------------------------------------------


def _lieux(adresses):
    frame = pd.DataFrame({
        "nom": [f"Lieu {i}" for i in range(len(adresses))],
        "adresse": adresses,
        "code_postal": "29200",
        "commune": "Brest",
        "code_insee": "29019",
        "latitude": np.nan,
        "longitude": np.nan,
    })
    frame[CODE_COMMUNE] = "29019"
    return to_places_frame(frame)


@pytest.fixture
def cache_ban(serveur, tmp_path):
    """A BAN cache holding one good answer (« 2 rue Frézier »), and its bytes."""
    g = geocoder(_lieux(["2 rue Frézier"]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert g.n_ban == 1
    chemin = tmp_path / "adresses.json"
    return chemin, chemin.read_bytes()


BAN_PANNES = [
    # behaviours, expected French words in the report, requests made
    (["429", "429"], "erreur 429", 2),
    (["500", "500"], "erreur 500", 2),
    (["502", "502"], "erreur 502", 2),
    (["503", "503"], "erreur 503", 2),
    (["504", "504"], "erreur 504", 2),
    (["403"], "a refusé la demande (erreur 403)", 1),
    (["truncated", "truncated"], "n'a pas répondu (connexion impossible)", 2),
    (["invalid_utf8"], "réponse illisible", 1),
    (["html"], "format inattendu", 1),
    (["changed_columns"], "format inattendu", 1),
]


@pytest.mark.parametrize(("plan", "message", "requetes"), BAN_PANNES, ids=[p[0][0] for p in BAN_PANNES])
def test_ban_failure_keeps_the_cache_and_says_why(serveur, tmp_path, cache_ban, plan, message, requetes):
    chemin, avant = cache_ban
    _Serveur.requetes = []
    _Serveur.plan = list(plan)
    g = geocoder(_lieux(["2 rue Frézier", "5 rue Neuve"]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert len(_Serveur.requetes) == requetes
    assert chemin.read_bytes() == avant  # nothing learnt, nothing forgotten
    assert g.n_ban == 1 and g.n_commune == 1 and len(g.lieux) == 2  # the cached answer is still used
    assert g.lieux.loc[0, "latitude"] == 48.39
    ligne = next(r for r in g.rapport if "Base Adresse Nationale" in r and "centre de leur commune" in r)
    assert message in ligne
    # The next run, with the service back, asks again for what failed.
    suite = geocoder(_lieux(["2 rue Frézier", "5 rue Neuve"]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert suite.n_ban == 2


def test_ban_timeout_in_the_middle_of_the_body(serveur, tmp_path, cache_ban):
    chemin, avant = cache_ban
    _Serveur.plan = ["slow_body", "slow_body"]
    with httpx.Client(timeout=httpx.Timeout(0.3, connect=1.0)) as client:
        g = geocoder(_lieux(["2 rue Frézier", "5 rue Neuve"]), serveur, dossier_cache=tmp_path, policy=RAPIDE,
                     client=client)
    assert chemin.read_bytes() == avant and g.n_ban == 1 and g.n_commune == 1
    assert any("Base Adresse Nationale n'a pas répondu" in r for r in g.rapport)


def test_ban_connection_refused(tmp_path, cache_ban):
    chemin, avant = cache_ban
    g = geocoder(_lieux(["2 rue Frézier", "5 rue Neuve"]), _port_ferme(), dossier_cache=tmp_path, policy=RAPIDE)
    assert chemin.read_bytes() == avant and g.n_ban == 1 and g.n_commune == 1
    assert any("connexion impossible" in r for r in g.rapport)


@pytest.mark.parametrize("comportement", ["429", "503"])
def test_ban_retry_then_success(serveur, tmp_path, comportement):
    _Serveur.plan = [comportement]
    g = geocoder(_lieux(["5 rue Neuve"]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert len(_Serveur.requetes) == 2 and g.n_ban == 1


@pytest.mark.parametrize("comportement", ["big", "extra_columns"])
def test_ban_tolerates_repeated_rows_and_extra_columns(serveur, tmp_path, comportement):
    _Serveur.plan = [comportement]
    g = geocoder(_lieux(["5 rue Neuve", "7 rue Haute", ""]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert g.n_ban == 2 and g.n_commune == 1 and len(g.lieux) == 3
    assert len(json.loads((tmp_path / "adresses.json").read_text())) == 2


def test_ban_unreadable_cache_file_is_asked_again(serveur, tmp_path):
    (tmp_path / "adresses.json").write_bytes(b'{"abc": [48.0, -4.0, 0.9')  # cut by a crash of another tool
    g = geocoder(_lieux(["5 rue Neuve"]), serveur, dossier_cache=tmp_path, policy=RAPIDE)
    assert g.n_ban == 1 and len(_Serveur.requetes) == 1
    assert len(json.loads((tmp_path / "adresses.json").read_text())) == 1


# -- OSRM -------------------------------------------------------------------------------------------

ORIGINES = [(2.0, 48.0), (2.01, 48.0)]
DESTINATIONS = [(2.02, 48.0)]

OSRM_PANNES = ["429", "500", "502", "503", "504", "403", "truncated", "invalid_utf8", "html", "changed_columns",
               "big", "liste", "texte"]


@pytest.mark.parametrize("comportement", OSRM_PANNES)
def test_osrm_failure_is_a_french_message(serveur, comportement):
    _Serveur.plan = [comportement]
    with pytest.raises(temps_route.OSRMIndisponible) as info:
        temps_route.road_times(ORIGINES, DESTINATIONS, serveur)
    message = str(info.value)
    assert message.startswith(f"Le serveur OSRM ({serveur}) ") and "vérifiez" in message and message.endswith(".")


@pytest.mark.parametrize("comportement", ["extra_columns", "padded"])
def test_osrm_tolerates_extra_keys_and_a_bigger_body(serveur, comportement):
    _Serveur.plan = [comportement]
    assert temps_route.road_times(ORIGINES, DESTINATIONS, serveur).tolist() == [[10.0], [10.0]]


def test_osrm_timeout_in_the_middle_of_the_body_and_refused_connection(serveur):
    _Serveur.plan = ["slow_body"]
    with pytest.raises(temps_route.OSRMIndisponible, match="n'a pas répondu correctement"):
        temps_route.road_times(ORIGINES, DESTINATIONS, serveur, timeout=0.3)
    with pytest.raises(temps_route.OSRMIndisponible, match="n'a pas répondu correctement"):
        temps_route.road_times(ORIGINES, DESTINATIONS, _port_ferme())


@pytest.mark.parametrize("comportement", ["503", "texte", "liste"])
def test_diagnostic_keeps_straight_line_distances_when_osrm_fails(serveur, comportement):
    # The diagnostic's fallback: no road times, a warning, the rest intact.
    _Serveur.plan = [comportement] * 10
    vecteurs = pd.DataFrame({"population": [100, 200]}, index=pd.Index(["29019", "29075"], name="code"))
    lieux = to_places_frame(_lieux(["2 rue Frézier"]).drop(columns="geometry").assign(latitude=48.39, longitude=-4.48))
    avertissements: list[str] = []
    assert diag._temps_route(vecteurs, lieux, serveur, avertissements) is None
    assert len(avertissements) == 1 and avertissements[0].endswith("Les distances restent à vol d'oiseau.")
    _Serveur.plan = []
    bloc = diag._temps_route(vecteurs, lieux, serveur, [])
    assert bloc["temps_moyen_min"] == pytest.approx(10.0)


# -- the national export: what test_api does not cover --------------------------------------------


@pytest.fixture
def bon_cache(serveur, tmp_path):
    """A good cache of dep:84 from the national export, its file and bytes."""
    cache = Cache(tmp_path / "cache")
    bon = api.fetch_places(territories.resolve("dep:84"), base_url=serveur, cache=cache, policy=RAPIDE)
    chemin = next(cache.directory.glob("*.cache"))
    return cache, bon, chemin, chemin.read_bytes()


@pytest.mark.parametrize(("plan", "message"), [
    (["502", "502"], "L'API nationale est en panne pour l'instant (erreur 502)"),
    (["slow_body"], "n'a pas répondu à temps (délai dépassé)"),
    (["invalid_utf8"], "n'est pas en UTF-8"),
])
def test_export_failures_not_in_test_api(serveur, bon_cache, plan, message):
    cache, bon, chemin, avant = bon_cache
    _Serveur.plan = list(plan)
    with httpx.Client(timeout=httpx.Timeout(0.3, connect=1.0)) as client:
        servi = api.fetch_places(territories.resolve("dep:84"), base_url=serveur, cache=cache, policy=RAPIDE,
                                 client=client)
    assert chemin.read_bytes() == avant
    assert servi.source.repli is True and message in servi.rapport[0]
    assert servi.lieux["id"].tolist() == bon.lieux["id"].tolist()


class _Gzip(BaseHTTPRequestHandler):
    """Sends the export gzip-compressed but cut in the middle of the compressed stream."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        compresse = gzip.compress(FIXTURE.read_bytes())
        moitie = compresse[: len(compresse) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(moitie)))  # a proxy that cut the stream and fixed the length
        self.end_headers()
        self.wfile.write(moitie)


def test_export_truncated_gzip_serves_the_cache(bon_cache):
    cache, bon, _, avant = bon_cache
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Gzip)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        # Another service address has another cache key: copy the good file under the key of this one.
        t = territories.resolve("dep:84")
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        cle = Cache.key("api", t.id, url, [f"{a}={b}" for a, b in api.plan_requests(t, (), ())])
        cache.path(cle).write_bytes(avant)
        servi = api.fetch_places(t, base_url=url, cache=cache, policy=RAPIDE)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert cache.path(cle).read_bytes() == avant
    assert servi.source.repli is True and servi.source.message.startswith("L'API nationale n'a pas répondu (")
    assert servi.lieux["id"].tolist() == bon.lieux["id"].tolist()


# -- the dataspace: the failures test_dataspace does not cover (same shared client) ----------------


@pytest.fixture(scope="module")
def faux_dataspace(tmp_path_factory):
    """The fake dataspace, and one good download of dep:84 (ids, cache file name and bytes)."""
    with FakeApi() as fake:
        cache = Cache(tmp_path_factory.mktemp("dataspace"))
        bon = dataspace.fetch_places(territories.resolve("dep:84"), base_url=fake.url, cache=cache, token=TOKEN,
                                     policy=RAPIDE)
        chemin = next(cache.directory.glob("*.cache"))
        yield fake, sorted(bon.lieux["id"]), chemin.name, chemin.read_bytes()


@pytest.mark.parametrize(("plan", "message", "requetes"), [
    (["429"] * 2, "trop de requêtes ont été envoyées (429)", 2),
    (["502"] * 2, "est en panne pour l'instant (erreur 502)", 2),
    (["504"] * 2, "n'a pas pu préparer les données à temps (504)", 2),
    (["reset"] * 2, "a coupé la connexion sans répondre", 2),
    (["wrong_type"], "n'est pas une liste de lieux", 1),
    (["slow"], "n'a pas répondu à temps (délai dépassé)", 1),
])
def test_dataspace_failures_serve_the_cache(faux_dataspace, tmp_path, plan, message, requetes):
    fake, ids, nom, avant = faux_dataspace
    cache = Cache(tmp_path)
    chemin = tmp_path / nom
    chemin.write_bytes(avant)
    fake.reset()
    fake.delay = 1.0
    fake.plan(*plan)
    timeout = httpx.Timeout(0.3 if plan == ["slow"] else 10.0, connect=1.0)
    with httpx.Client(timeout=timeout) as client:
        servi = dataspace.fetch_places(territories.resolve("dep:84"), base_url=fake.url, cache=cache, token=TOKEN,
                                       policy=RAPIDE, client=client)
    assert len(fake.requests) == requetes
    assert chemin.read_bytes() == avant
    assert servi.source.repli is True and message in servi.rapport[0]
    assert servi.rapport[0].startswith(("Le dataspace de l'ANCT ", "La réponse du dataspace de l'ANCT "))
    assert sorted(servi.lieux["id"]) == ids
    assert TOKEN not in servi.rapport[0] and TOKEN.encode() not in avant


def test_dataspace_refused_token_is_never_answered_from_the_cache(faux_dataspace, tmp_path):
    # The cache is shared by every user of the source: a refused token must not read what another
    # token downloaded. The refusal is said, and the good cache stays untouched for the next good token.
    fake, _, nom, avant = faux_dataspace
    chemin = tmp_path / nom
    chemin.write_bytes(avant)
    fake.reset()
    fake.plan("403")
    with pytest.raises(SourceIndisponible, match="a refusé le jeton d'accès"):
        dataspace.fetch_places(territories.resolve("dep:84"), base_url=fake.url, cache=Cache(tmp_path), token=TOKEN,
                               policy=RAPIDE)
    assert len(fake.requests) == 1
    assert chemin.read_bytes() == avant


# -- a process killed with SIGKILL in the middle of a download ------------------------------------

_TELECHARGER = """
import sys
from diagnostics import territories
from diagnostics.sources import api, dataspace
from diagnostics.sources.cache import Cache
from diagnostics.sources.http import RetryPolicy
api.fetch_places(territories.resolve("dep:84"), base_url=sys.argv[1], cache=Cache(sys.argv[2]),
                 policy=RetryPolicy(tries=1))
"""

_GEOCODER = """
import sys
from pathlib import Path
import pandas as pd
from diagnostics.sources.geocodage import geocoder
from diagnostics.sources.http import RetryPolicy
from diagnostics.standard.fields import to_places_frame
lieux = to_places_frame(pd.DataFrame({"nom": ["A"], "adresse": ["9 rue Neuve"], "code_insee": ["29019"]}))
geocoder(lieux, sys.argv[1], dossier_cache=Path(sys.argv[2]), policy=RetryPolicy(tries=1))
"""


def _tuer_pendant_le_telechargement(script: str, url: str, dossier: Path) -> None:
    _Serveur.plan = ["trickle"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", script, url, str(dossier)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _Serveur.envoye.wait(60), "the download never started"
        time.sleep(0.2)
        assert proc.poll() is None  # still receiving the body
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_export_killed_mid_download_keeps_the_cache_and_serves_it(serveur, bon_cache):
    cache, bon, chemin, avant = bon_cache
    _tuer_pendant_le_telechargement(_TELECHARGER, serveur, cache.directory)
    assert chemin.read_bytes() == avant
    assert [p.name for p in cache.directory.iterdir()] == [chemin.name]
    # The next run, with the service down, serves the last good data.
    _Serveur.plan = ["503", "503"]
    servi = api.fetch_places(territories.resolve("dep:84"), base_url=serveur, cache=cache, policy=RAPIDE)
    assert servi.source.repli is True and servi.lieux["id"].tolist() == bon.lieux["id"].tolist()
    # And with the service back, a fresh download replaces it cleanly.
    frais = api.fetch_places(territories.resolve("dep:84"), base_url=serveur, cache=cache, policy=RAPIDE)
    assert frais.source.repli is False and cache.load(chemin.stem).entry is not None


def test_geocoder_killed_mid_answer_keeps_its_cache(serveur, tmp_path, cache_ban):
    chemin, avant = cache_ban
    _tuer_pendant_le_telechargement(_GEOCODER, serveur, tmp_path)
    assert chemin.read_bytes() == avant
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adresses.json"]
