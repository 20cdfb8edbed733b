"""The national export client against the local fake server: territories → requests, parsing,
retries, rate limit, French errors, and the cache that a failure never replaces."""
from __future__ import annotations

import math
import re
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from diagnostics import reference
from diagnostics.sources import api, http
from diagnostics.sources.base import SourceIndisponible
from diagnostics.sources.cache import Cache
from fake_api import FIXTURE, read_fixture

FAST = http.RetryPolicy(tries=4, backoff=0.01, backoff_max=0.05, retry_after_max=0.3)
HEADER, ROWS = read_fixture()


@dataclass(frozen=True)
class Territoire:  # the attributes of diagnostics.territories.Territoire that the sources use
    id: str
    niveau: str
    code: str
    nom: str = ""
    codes_communes: tuple[str, ...] = ()


def departement(code: str) -> Territoire:
    return Territoire(f"dep:{code}", "departement", code)


def ids_where(predicate) -> set[str]:
    return {row["id"] for row in ROWS if predicate(row)}


@pytest.fixture(scope="module")
def good(running_server, tmp_path_factory):
    """A good download of dep:84 and its cache file, made once for the failure tests."""
    running_server.reset()
    cache = Cache(tmp_path_factory.mktemp("good"))
    lieux = api.fetch_places(departement("84"), base_url=running_server.url, cache=cache, policy=FAST)
    path = next(cache.directory.glob("*.cache"))
    return lieux, path.name, path.read_bytes()


@pytest.fixture
def cache(tmp_path):
    return Cache(tmp_path / "cache")


def fetch(server, cache, territoire=None, **kwargs):
    kwargs.setdefault("policy", FAST)
    return api.fetch_places(territoire or departement("84"), base_url=server.url, cache=cache, **kwargs)


# -- happy paths ---------------------------------------------------------------------------------


def test_departement(server, cache):
    result = fetch(server, cache)
    expected = ids_where(lambda r: r["code_insee"].startswith("84"))
    assert set(result.lieux["id"]) == expected and len(result.lieux) == len(expected) == 10
    assert [(r.path, r.params) for r in server.requests] == [
        ("/api/lieux/exporter", {"territoire_type": "departements", "territoires": "84"})
    ]
    user_agent = server.requests[0].headers["User-Agent"]
    assert user_agent.startswith("diagnostic-inclusion-numerique/") and "bot" not in user_agent.lower()
    info = result.source
    assert (info.nom, info.repli, info.message) == ("api", False, "")
    assert info.libelle == "API nationale (cartographie des lieux d'inclusion numérique)"
    assert datetime.now(timezone.utc) - datetime.fromisoformat(info.date) < timedelta(minutes=1)
    # The export's 0,0 means "no coordinates".
    no_coords = result.lieux.set_index("id").loc["dora-17f22b3c-f3ef-418b-9f60-d925730061b5"]
    assert math.isnan(no_coords["latitude"]) and no_coords["geometry"] is None
    assert set(result.lieux["code_commune_2026"].str[:2]) == {"84"}
    assert cache.load(Cache.key("api", "dep:84", server.url, ["departements=84"])).entry.meta["lignes"] == 10


def test_commune_list_is_split_and_widened_to_old_codes(server, cache):
    communes = reference.communes()
    codes = tuple(sorted(communes.loc[communes["dep"].isin(["13", "83"]), "code"]))
    territoire = Territoire("epci:test", "epci", "test", codes_communes=codes)
    messages = []
    result = fetch(server, cache, territoire, progress=lambda got, total, message: messages.append(message))
    asked = [r.params["territoires"].split(",") for r in server.requests]
    assert len(asked) >= math.ceil(len(codes) / api.CODES_PER_REQUEST) >= 3
    assert all(r.params["territoire_type"] == "communes" and 0 < len(a) <= 100 for r, a in zip(server.requests, asked))
    flat = [code for part in asked for code in part]
    assert set(codes) <= set(flat) and len(flat) == len(set(flat))
    assert "13215" in flat  # a Marseille arrondissement, reached through 13055
    expected = ids_where(lambda r: r["code_insee"] in set(flat))
    assert set(result.lieux["id"]) == expected
    assert {"13213", "13215", "13201"} <= set(result.lieux["code_insee"])
    assert messages[0].endswith(f"(partie 1/{len(asked)})") and messages[-1].endswith(f"(partie {len(asked)}/{len(asked)})")


def test_real_epci(server, cache):
    communes = reference.communes()
    epci_code = communes.set_index("code").loc["84007", "epci"]  # Avignon's EPCI
    codes = tuple(sorted(communes.loc[communes["epci"] == epci_code, "code"]))
    result = fetch(server, cache, Territoire(f"epci:{epci_code}", "epci", epci_code, codes_communes=codes))
    assert len(server.requests) == 1
    assert set(result.lieux["id"]) == ids_where(lambda r: r["code_insee"] in codes) != set()


def test_plan_neighbours_skips_what_a_departement_already_covers():
    plan = api.plan_requests(departement("84"), extra_communes=["84007", "13004", "13004"], extra_departements=["84", "30"])
    assert plan == [("departements", "84"), ("departements", "30"), ("communes", "13004")]
    region = api.plan_requests(Territoire("reg:93", "region", "93"), extra_communes=["13004", "26198"])
    assert region == [("regions", "93"), ("communes", "26198")]


def test_region_and_france(server, cache):
    paca = fetch(server, cache, Territoire("reg:93", "region", "93"))
    paca_deps = ("04", "05", "06", "13", "83", "84")
    assert set(paca.lieux["id"]) == ids_where(lambda r: r["code_insee"].startswith(paca_deps))
    server.requests.clear()
    france = fetch(server, cache, Territoire("france", "france", ""))
    regions = sorted(reference.regions()["code"])
    assert [r.params for r in server.requests] == [{"territoire_type": "regions", "territoires": c} for c in regions]
    # Places without code_insee are invisible to the site's territory filters, hence the note.
    assert set(france.lieux["id"]) == ids_where(lambda r: r["code_insee"] != "")
    assert api.FRANCE_NOTE in france.rapport


def test_ten_times_bigger_body_with_repeats_and_progress(server, cache):
    normal, big = [], []
    fetch(server, cache, progress=lambda got, total, message: normal.append((got, total, message)))
    server.plan("big")
    result = fetch(server, cache, progress=lambda got, total, message: big.append((got, total, message)))
    assert len(result.lieux) == 10
    assert any(note.startswith("90 lieu(x) reçu(s) en double") for note in result.rapport)
    sizes = [got for got, _, _ in big]
    assert sizes == sorted(sizes) and sizes[-1] == big[-1][1] > 9 * normal[-1][1]
    assert all("Mo reçus" in message for _, _, message in normal + big)


def test_extra_columns_are_tolerated_and_reported(server, cache):
    server.plan("extra_columns")
    result = fetch(server, cache)
    assert len(result.lieux) == 10 and "horaires_detail" not in result.lieux.columns
    assert "Colonnes inattendues dans l'export national, non reprises : horaires_detail." in result.rapport


def test_body_larger_than_the_cap_is_refused(server):
    with httpx.Client() as client, pytest.raises(http.DownloadError, match="dépasse 0 Mo"):
        http.get(client, server.url + api.EXPORT_PATH, api.SERVICE, content_types=api.CSV_TYPES, max_bytes=1000)


# -- failures: French message, fallback to an untouched cache ------------------------------------

FAILURES = [
    (["403"], "L'export national refuse cette connexion (403) : il bloque certains réseaux hors de France et les robots. "
     "Essayez depuis un autre réseau ou utilisez l'instantané embarqué.", 1),
    (["404"], "L'API nationale ne connaît pas cette adresse (404)", 1),
    (["500"] * 4, "L'API nationale est en panne pour l'instant (erreur 500)", 4),
    (["503"] * 4, "(erreur 503)", 4),
    (["504"] * 4, "restreignez le territoire", 4),
    (["429"] * 4, "trop de requêtes ont été envoyées (429)", 4),
    (["reset"] * 4, "L'API nationale a coupé la connexion sans répondre", 4),
    (["truncated"] * 4, "La réponse de l'API nationale a été coupée avant la fin", 4),
    (["html"], "L'API nationale a renvoyé une page web au lieu des données attendues", 1),
    (["wrong_type"], "contenu inattendu (application/json) au lieu de text/csv", 1),
    (["bad_utf8"], "Le fichier reçu de l'API nationale n'est pas en UTF-8", 1),
    (["changed_columns"], "Le format de l'export national a changé (colonnes obligatoires absentes : nom)", 1),
]


@pytest.mark.parametrize(("behaviours", "message", "tries"), FAILURES, ids=[f[0][0] for f in FAILURES])
def test_failure_serves_untouched_cache(good, server, cache, behaviours, message, tries):
    good_lieux, name, before = good
    cache.directory.mkdir(parents=True)
    path = cache.directory / name
    path.write_bytes(before)
    server.plan(*behaviours)
    result = fetch(server, cache)
    assert len(server.requests) == tries
    assert path.read_bytes() == before
    assert result.source.repli is True and result.source.date == good_lieux.source.date
    assert result.source.message.startswith("L'API nationale n'a pas répondu (")
    assert result.source.message.endswith(" en cache.")
    assert message in result.rapport[0]
    assert result.lieux["id"].tolist() == good_lieux.lieux["id"].tolist()


NO_CACHE_FAILURES = [f for f in FAILURES if f[0][0] in ("403", "truncated", "changed_columns")]


@pytest.mark.parametrize(("behaviours", "message", "tries"), NO_CACHE_FAILURES, ids=[f[0][0] for f in NO_CACHE_FAILURES])
def test_failure_without_cache_raises_french_message(server, cache, behaviours, message, tries):
    server.plan(*behaviours)
    with pytest.raises(SourceIndisponible) as info:
        fetch(server, cache)
    assert message in str(info.value)
    assert len(server.requests) == tries
    assert list(cache.directory.glob("*.cache")) == []


def test_read_timeout_is_not_retried(server, cache):
    server.delay = 1.0
    server.plan("slow")
    with httpx.Client(timeout=httpx.Timeout(0.3, connect=1.0)) as client, pytest.raises(SourceIndisponible) as info:
        fetch(server, cache, client=client)
    assert "n'a pas répondu à temps (délai dépassé)" in str(info.value)
    assert len(server.requests) == 1


def test_connection_refused(cache):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more.
    with pytest.raises(SourceIndisponible, match=r"^Impossible de joindre l'API nationale \(127\.0\.0\.1\)"):
        api.fetch_places(departement("84"), base_url=f"http://127.0.0.1:{port}", cache=cache, policy=FAST)


def test_address_without_scheme(cache):
    with pytest.raises(SourceIndisponible, match=r"^L'échange avec l'API nationale a échoué \(adresse du service"):
        api.fetch_places(departement("84"), base_url="cartographie.example.org", cache=cache, policy=FAST)


def test_base_url_from_environment(server, cache, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_API_URL", server.url + "/")
    result = api.fetch_places(departement("84"), cache=cache, policy=FAST)
    assert len(result.lieux) == 10 and len(server.requests) == 1


# -- retries and rate limit ----------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(server, cache):
    server.retry_after = "1"
    server.plan("429", "503")
    fetch(server, cache, policy=http.RetryPolicy(backoff=0.01, retry_after_max=5))
    first, second, third = (r.at for r in server.requests)
    assert second - first >= 0.95  # Retry-After: 1
    assert third - second < 0.5  # 503 without Retry-After: backoff (0.02 s) and the rate limit


def test_retry_after_is_capped(server, cache):
    server.retry_after = "30"
    server.plan("429")
    fetch(server, cache)
    first, second = (r.at for r in server.requests)
    assert 0.25 <= second - first < 1.5


def test_retry_after_http_date():
    policy = http.RetryPolicy(retry_after_max=60)
    in_ten = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=10), usegmt=True)
    assert 8 <= http._retry_after(in_ten, policy) <= 10
    assert http._retry_after("Wed, 21 Oct 2015 07:28:00 GMT", policy) == 0  # already past
    assert http._retry_after("demain", policy) is None


def test_rate_limit_at_most_ten_requests_per_second(server, cache):
    codes = tuple(f"99{n:03d}" for n in range(1300))  # unknown codes: 13 requests, no history to add
    fetch(server, cache, Territoire("epci:bidon", "epci", "bidon", codes_communes=codes))
    times = [r.at for r in server.requests]
    assert len(times) == 13
    window = [later - earlier for earlier, later in zip(times, times[10:])]
    # Never 11 requests within one second (0.1 s spacing), less the server's scheduling jitter.
    assert min(window) >= 0.9
    assert (len(times) - 1) / (times[-1] - times[0]) <= 10.5


def test_limiter_spaces_requests():
    limiter = http.RateLimiter(rate=50.0)
    start = time.monotonic()
    for _ in range(11):
        limiter.acquire()
    assert time.monotonic() - start >= 10 / 50 - 0.01


# -- parsing -------------------------------------------------------------------------------------


def test_parse_export_reports_missing_optional_columns():
    payload = '"id","pivot","nom","commune","code_postal","adresse","date_maj"\n"1","0","A","Brest","29200","rue","2024-01-01"\n'
    frame, notes = api.parse_export(payload.encode("utf-8-sig"))
    assert frame.to_dict("records") == [
        {"id": "1", "pivot": "0", "nom": "A", "commune": "Brest", "code_postal": "29200", "adresse": "rue", "date_maj": "2024-01-01"}
    ]
    assert notes[0].startswith("Colonnes absentes de l'export national, laissées vides : code_insee, complement_adresse")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "vide, sans ligne d'en-t\u00eate"),
        (b'"id","nom"\n"1","A","en trop"\n', "1 lieu(x) n'ont pas 2 colonnes"),
        (b'"id","nom"\n"1","A\n', "illisible \u00e0 partir de la ligne"),
        (b"  <!DOCTYPE html><html></html>", "page web"),
    ],
)
def test_parse_export_errors(payload, message):
    with pytest.raises(http.DownloadError, match=re.escape(message)):
        api.parse_export(payload)


def test_to_csv_bytes_round_trips():
    frame, notes = api.parse_export(FIXTURE.read_bytes())
    again, _ = api.parse_export(api.to_csv_bytes(frame))
    assert notes == [] and len(frame) == len(ROWS) == 48
    assert again.equals(frame)
