"""The ANCT dataspace client against the local fake PostgREST: paging, filters, flattening, the
token kept out of every file and message, and the fallback to an untouched cache."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from diagnostics.sources import api, dataspace, http
from diagnostics.sources.base import SourceIndisponible
from diagnostics.sources.cache import Cache
from diagnostics.standard.fields import field_names
from fake_api import TOKEN, read_fixture

FAST = http.RetryPolicy(tries=3, backoff=0.01, backoff_max=0.05, retry_after_max=0.3)
HEADER, ROWS = read_fixture()
DEP84 = {row["id"] for row in ROWS if row["code_insee"].startswith("84")}


@dataclass(frozen=True)
class Territoire:
    id: str
    niveau: str
    code: str
    nom: str = ""
    codes_communes: tuple[str, ...] = ()


VAUCLUSE = Territoire("dep:84", "departement", "84")


@pytest.fixture
def cache(tmp_path):
    return Cache(tmp_path / "cache")


def fetch(server, cache, territoire=VAUCLUSE, **kwargs):
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("policy", FAST)
    return dataspace.fetch_places(territoire, base_url=server.url, cache=cache, **kwargs)


def test_three_pages_stop_at_the_announced_total(server, cache):
    result = fetch(server, cache, page_size=4)
    assert set(result.lieux["id"]) == DEP84 and len(result.lieux) == 10
    assert [r.params["offset"] for r in server.requests] == ["0", "4", "8"]
    first = server.requests[0]
    assert first.path == "/carto"
    assert first.params == {"adresse->>code_insee": "like.84*", "order": "id.asc", "limit": "4", "offset": "0"}
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert first.headers["Accept"] == "application/vnd.pgrst.array+json;nulls=stripped"
    assert first.headers["Prefer"] == "count=exact"
    info = result.source
    assert (info.nom, info.repli) == ("dataspace", False) and info.date


def test_without_total_paging_stops_on_416(server, cache):
    server.count_header = False  # Content-Range "0-4/*": the client cannot know where the end is
    result = fetch(server, cache, page_size=5)
    assert [r.params["offset"] for r in server.requests] == ["0", "5", "10"]
    assert len(result.lieux) == 10  # the third request got 416: past the end


def test_same_places_as_the_national_export(server, cache):
    bouches_du_rhone = Territoire("dep:13", "departement", "13")
    from_dataspace = fetch(server, cache, bouches_du_rhone)
    from_export = api.fetch_places(bouches_du_rhone, base_url=server.url, cache=cache, policy=FAST)
    ds = from_dataspace.lieux.set_index("id").sort_index()
    ex = from_export.lieux.set_index("id").sort_index()
    assert list(ds.index) == list(ex.index)
    assert set(ds.index) == {row["id"] for row in ROWS if row["code_insee"].startswith("13")}
    # Every standard field but the address agrees (courriels came as arrays and as strings).
    columns = [c for c in field_names() if c not in ("id", "adresse")]
    assert ds[columns].equals(ex[columns])
    assert (ds["code_commune_2026"] == ex["code_commune_2026"]).all()
    # The address is rebuilt like the site does: number and repetition glued, then the street.
    assert ds.loc["dora-b455107f-9309-4b16-9a49-040a0f105651", "adresse"] == "285 Rue d' endoume"
    # The mediators' personal data (first item of the fake) is neither kept nor cached.
    cached = b"".join(p.read_bytes() for p in cache.directory.glob("dataspace_*.cache"))
    assert b'"id": "dora-3d647b3a' in cached and b"mediateurs" not in cached and b"Camille" not in cached


def test_flatten_item_by_hand():
    item = {
        "id": "x1", "nom": "EPN", "pivot": "00000000000000",
        "adresse": {"numero_voie": 27, "repetition": "B", "nom_voie": "AV DE LA TRILLADE", "commune": "Avignon",
                    "code_postal": "84000", "code_insee": "84007"},
        "courriels": ["a@x.fr", "b@x.fr"], "site_web": "https://x.fr", "typologie": ["EPN"], "latitude": 43.9,
        "services": ["Aide aux démarches administratives", "Loisirs et créations numériques"], "horaires": None,
    }
    assert dataspace.flatten_item(item) == {
        "id": "x1", "nom": "EPN", "pivot": "00000000000000", "adresse": "27B AV DE LA TRILLADE", "commune": "Avignon",
        "code_postal": "84000", "code_insee": "84007", "courriels": "a@x.fr|b@x.fr", "site_web": "https://x.fr",
        "typologie": "EPN", "latitude": 43.9,
        "services": "Aide aux démarches administratives|Loisirs et créations numériques", "horaires": "",
    }
    assert dataspace.flatten_item({"id": "y", "adresse": {"nom_voie": "Place du Marché"}})["adresse"] == "Place du Marché"


def test_commune_list_uses_in_filter_with_old_codes(server, cache):
    marseille = Territoire("commune:13055", "commune", "13055", codes_communes=("13055",))
    result = fetch(server, cache, marseille)
    (request,) = server.requests
    assert request.params["adresse->>code_insee"].startswith("in.(13055,13201,13202,")
    assert set(result.lieux["code_insee"]) == {"13055", "13201", "13210", "13213", "13215"}
    assert set(result.lieux["code_commune_2026"]) == {"13055"}


def test_server_that_never_stops_paging(server, cache, monkeypatch):
    monkeypatch.setattr(dataspace, "MAX_PAGES", 3)
    server.count_header = False
    with pytest.raises(SourceIndisponible, match=r"renvoie toujours de nouvelles pages \(plus de 3\)"):
        fetch(server, cache, page_size=1)
    assert len(server.requests) == 3


def test_plan_filters():
    assert dataspace.plan_filters(Territoire("france", "france", "")) == [{}]
    paca = dataspace.plan_filters(Territoire("reg:93", "region", "93"))
    assert paca == [{"adresse->>code_insee": f"like.{d}*"} for d in ("04", "05", "06", "13", "83", "84")]
    with_neighbours = dataspace.plan_filters(VAUCLUSE, extra_communes=["84007", "30189"])
    assert with_neighbours == [{"adresse->>code_insee": "like.84*"}, {"adresse->>code_insee": "in.(30189)"}]


def test_overlapping_filters_count_a_place_once(server, cache):
    result = fetch(server, cache, extra_departements=["8"])  # "like.8*" also matches every 84 place
    assert len(result.lieux) == len(set(result.lieux["id"]))
    assert any(note.startswith("10 lieu(x) reçu(s) en double") for note in result.rapport)


def test_missing_token(server, cache, monkeypatch):
    monkeypatch.delenv("DIAGNOSTIC_DATASPACE_TOKEN", raising=False)
    with pytest.raises(SourceIndisponible, match="^Le dataspace de l'ANCT demande un jeton d'accès"):
        fetch(server, cache, token="")
    assert server.requests == []


def test_token_from_environment(server, cache, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_DATASPACE_TOKEN", TOKEN)
    assert len(dataspace.fetch_places(VAUCLUSE, base_url=server.url, cache=cache, policy=FAST).lieux) == 10


def test_token_never_written_or_shown(server, cache):
    good = fetch(server, cache)
    wrong = "jeton-perime-0000"
    before = {p: p.read_bytes() for p in cache.directory.rglob("*") if p.is_file()}
    # A refused token is never answered from the cache another token filled (the cache is shared).
    with pytest.raises(SourceIndisponible) as refused:
        fetch(server, cache, token=wrong)
    with pytest.raises(SourceIndisponible) as no_cache:
        fetch(server, Cache(cache.directory.parent / "vide"), token=wrong)
    assert str(refused.value).startswith("Le dataspace de l'ANCT a refusé le jeton d'accès (jeton refusé ou expiré)")
    assert {p: p.read_bytes() for p in cache.directory.rglob("*") if p.is_file()} == before
    texts = [str(no_cache.value), str(refused.value), *good.rapport]
    files = [p.read_bytes() for p in cache.directory.parent.rglob("*") if p.is_file()]
    assert files and all(secret not in text for secret in (TOKEN, wrong) for text in texts)
    assert all(secret.encode() not in data for secret in (TOKEN, wrong) for data in files)


@pytest.mark.parametrize(
    ("behaviours", "message"),
    [
        (["truncated"] * 3, "La réponse du dataspace de l'ANCT a été coupée avant la fin"),
        (["503"] * 3, "Le dataspace de l'ANCT est en panne pour l'instant (erreur 503)"),
        (["html"], "Le dataspace de l'ANCT a renvoyé une page web"),
    ],
)
def test_failure_on_a_later_page_keeps_the_good_cache(server, cache, behaviours, message):
    fetch(server, cache, page_size=4)
    path = next(cache.directory.glob("*.cache"))
    before = path.read_bytes()
    server.reset()
    server.plan("ok", *behaviours)  # the first page arrives, a later one fails
    result = fetch(server, cache, page_size=4)
    assert path.read_bytes() == before
    assert result.source.repli is True and message in result.rapport[0]
    assert set(result.lieux["id"]) == DEP84
    assert json.loads(before.split(b"\n", 2)[2])[0]["adresse"]["code_insee"].startswith("84")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b'[{"id": "a"}', "JSON invalide"), (b'{"message": "x"}', "JSON inattendu"), (b"[\xff]", "encodage invalide")],
)
def test_parse_items_errors(payload, reason):
    with pytest.raises(http.DownloadError) as info:
        dataspace.parse_items(payload)
    assert info.value.reason == reason and str(info.value).startswith("La réponse du dataspace de l'ANCT ")


def test_odd_items_are_reported():
    lieux = dataspace.to_lieux([{"id": "a", "nom": "A", "nouveau_champ": 1}, "pas un lieu", 3], dataspace._info(""), [])
    assert lieux.lieux["id"].tolist() == ["a"]
    assert lieux.rapport[0].startswith("2 élément(s) de la réponse du dataspace ne sont pas des lieux")
    assert lieux.rapport[1] == "Champs du dataspace hors du standard, non repris : nouveau_champ."
