"""The downloads cache: atomic writes, corrupt files ignored, fallback to the last good download."""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from diagnostics.sources import entrees
from diagnostics.sources.base import Lieux, SourceIndisponible, SourceInfo
from diagnostics.sources.cache import Cache, download_meta, redact_url, with_fallback
from diagnostics.sources.http import DownloadError
from diagnostics.standard.fields import empty_places

PAYLOAD = '"id","nom"\n"a","Médiathèque"\n'.encode()
KEY = Cache.key("api", "dep:29", "https://example.org")


@pytest.fixture
def cache(tmp_path):
    return Cache(tmp_path / "cache")


def _meta(rows: int = 1) -> dict:
    return download_meta("api", "dep:29", "https://example.org/api/lieux/exporter", rows)


def _lieux(date: str = "2026-01-01T00:00:00+00:00") -> Lieux:
    return Lieux(empty_places(), SourceInfo(nom="api", libelle="API nationale", date=date))


def test_save_then_load_returns_payload_meta_and_age(cache):
    path = cache.save(KEY, PAYLOAD, _meta())
    read = cache.load(KEY)
    assert path == cache.path(KEY) and read.note == ""
    assert read.entry.payload == PAYLOAD
    assert read.entry.meta["lignes"] == 1 and read.entry.meta["taille"] == len(PAYLOAD)
    assert read.entry.meta["territoire"] == "dep:29"
    assert timedelta(0) <= read.entry.age < timedelta(minutes=1)


def test_missing_cache_is_no_entry_and_no_note(cache):
    read = cache.load(KEY)
    assert read.entry is None and read.note == ""


def test_default_directory_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "ailleurs"))
    assert Cache().directory == tmp_path / "ailleurs" / "lieux"


def test_keys_are_file_safe_and_separate_services_and_neighbours():
    key = Cache.key("api", "epci:242900314", "https://a.example")
    assert "/" not in key and ":" not in key and key.startswith("api_epci-242900314_")
    assert key != Cache.key("api", "epci:242900314", "https://b.example")
    assert key != Cache.key("api", "epci:242900314", "https://a.example", ["communes=29019"])
    assert key == Cache.key("api", "epci:242900314", "https://a.example")  # stable across runs


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"n'importe quoi",
        lambda data: data[: len(data) - 10],  # cut short
        lambda data: data[:-3] + b"XYZ",  # altered payload
        lambda data: data.replace(b'"lignes": 1', b'"lignes": 1,,'),  # broken metadata
        lambda data: data.replace(b"+00:00", b"+00:00 hier"),  # unreadable date
        lambda data: b"",
    ],
)
def test_corrupt_cache_is_ignored_with_a_french_note(cache, damage):
    path = cache.save(KEY, PAYLOAD, _meta())
    path.write_bytes(damage(path.read_bytes()))
    read = cache.load(KEY)
    assert read.entry is None
    assert path.name in read.note and "illisible" in read.note and "ignoré" in read.note


def test_failed_write_keeps_previous_cache_and_leaves_no_temp(cache, monkeypatch):
    cache.save(KEY, PAYLOAD, _meta())
    before = cache.path(KEY).read_bytes()

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(entrees.os, "replace", fail)
    with pytest.raises(OSError):
        cache.save(KEY, b"nouveau contenu", _meta())
    assert cache.path(KEY).read_bytes() == before
    assert list(cache.directory.glob("*.tmp")) == []


def test_kill_during_write_keeps_previous_cache(cache, monkeypatch):
    cache.save(KEY, PAYLOAD, _meta())
    before = cache.path(KEY).read_bytes()

    def killed(fd):
        raise KeyboardInterrupt  # what a Ctrl-C between write and rename looks like

    monkeypatch.setattr(entrees.os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.save(KEY, b"nouveau contenu", _meta())
    assert cache.path(KEY).read_bytes() == before
    assert cache.load(KEY).entry.payload == PAYLOAD


def test_temp_file_left_by_a_killed_process_is_ignored_then_cleaned(cache):
    cache.save(KEY, PAYLOAD, _meta())
    stale = cache.directory / f".{KEY}.abc123.tmp"
    stale.write_bytes(b"moitie d'un telechargement")
    old = time.time() - 2 * entrees.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    recent = cache.directory / f".{KEY}.def456.tmp"  # maybe another process writing right now
    recent.write_bytes(b"en cours")
    assert cache.load(KEY).entry.payload == PAYLOAD
    cache.save(KEY, b"v2", _meta())
    assert not stale.exists() and recent.exists()
    assert cache.load(KEY).entry.payload == b"v2"


def test_redact_url_drops_credentials_and_secret_parameters():
    url = "https://moi:motdepasse@api.example.org/carto?token=abc&limit=10&api_key=zz"
    assert redact_url(url) == "https://api.example.org/carto?limit=10"


def test_with_fallback_caches_a_good_download(cache):
    result = with_fallback(lambda: (_lieux(), PAYLOAD, _meta()), lambda p: _lieux(), cache=cache, key=KEY, service="L'API nationale")
    assert result.source.repli is False
    assert cache.load(KEY).entry.payload == PAYLOAD


def test_with_fallback_serves_the_cache_with_its_date_and_reason(cache):
    meta = {**_meta(), "telecharge_le": "2026-03-12T13:05:00+00:00"}
    cache.save(KEY, PAYLOAD, meta)
    error = DownloadError("L'API nationale est en panne pour l'instant (erreur 503) : réessayez plus tard.", "erreur 503", 503)
    seen = []

    def failing():
        raise error

    def parse(payload):
        seen.append(payload)
        return _lieux(date="")

    result = with_fallback(failing, parse, cache=cache, key=KEY, service="L'API nationale")
    assert seen == [PAYLOAD]
    assert result.source.repli is True
    assert result.source.date == "2026-03-12T13:05:00+00:00"
    # 13:05 UTC is 14:05 in Paris in March (UTC+1).
    assert result.source.message == (
        "L'API nationale n'a pas répondu (erreur 503) ; affichage des données du 12/03/2026 à 14:05 en cache."
    )
    assert result.rapport[0] == str(error)


def test_with_fallback_without_cache_raises_the_french_message(cache):
    def failing():
        raise DownloadError("Impossible de joindre l'API nationale (x.org) : vérifiez la connexion.", "connexion impossible")

    with pytest.raises(SourceIndisponible, match="^Impossible de joindre l'API nationale"):
        with_fallback(failing, lambda p: _lieux(), cache=cache, key=KEY, service="L'API nationale")


def test_with_fallback_with_corrupt_cache_says_both(cache):
    cache.save(KEY, PAYLOAD, _meta())
    cache.path(KEY).write_bytes(b"abime")

    def failing():
        raise DownloadError("Le dataspace de l'ANCT est en panne pour l'instant (erreur 500).", "erreur 500")

    with pytest.raises(SourceIndisponible) as info:
        with_fallback(failing, lambda p: _lieux(), cache=cache, key=KEY, service="Le dataspace de l'ANCT")
    assert "erreur 500" in str(info.value) and "illisible" in str(info.value)


def test_with_fallback_reports_a_cache_that_cannot_be_written(cache, monkeypatch):
    def fail(*args):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(entrees.os, "replace", fail)
    result = with_fallback(lambda: (_lieux(), PAYLOAD, _meta()), lambda p: _lieux(), cache=cache, key=KEY, service="L'API nationale")
    assert result.source.repli is False
    assert any("n'a pas pu être enregistré" in note and "Permission denied" in note for note in result.rapport)


def test_download_meta_time_is_utc_now():
    meta = _meta(3)
    when = datetime.fromisoformat(meta["telecharge_le"])
    assert when.tzinfo is not None and abs(datetime.now(timezone.utc) - when) < timedelta(seconds=5)
    assert meta["lignes"] == 3 and meta["url"] == "https://example.org/api/lieux/exporter"
