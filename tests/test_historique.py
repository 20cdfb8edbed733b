"""The history of dated pictures: real files in a temp directory, real processes racing and killed, the
local fake API for the downloads that feed it, and pictures read back as places."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_api import TOKEN

from diagnostics import places, territories
from diagnostics.sources import api, dataspace, http
from diagnostics.sources import historique as historique_module
from diagnostics.sources.base import SourceIndisponible
from diagnostics.sources.cache import Cache, download_meta
from diagnostics.sources.entrees import STALE_TEMP_SECONDS
from diagnostics.sources.fichier import charger_fichier
from diagnostics.sources.historique import (
    Historique,
    PhotoIllisible,
    PhotoIntrouvable,
    Retention,
)

FAST = http.RetryPolicy(tries=2, backoff=0.01, backoff_max=0.02, retry_after_max=0.1)
HUB_DU_SUD = Path(__file__).parent / "fixtures" / "files" / "hub_du_sud_v1_extrait.json"
URL = "https://cartographie.example/api/lieux/exporter"


VAUCLUSE = territories.get("dep:84")


@pytest.fixture
def hist(tmp_path):
    return Historique(tmp_path / "historique", Retention(derniers=1000, mois=1000))


def meta(when: datetime | str, territoire: str = "dep:29", source: str = "api", lignes: int = 1) -> dict:
    out = download_meta(source, territoire, URL, lignes)
    out["telecharge_le"] = when if isinstance(when, str) else when.isoformat(timespec="seconds")
    return out


def month_start(months_back: int, day: int, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, day, 12, 0, tzinfo=UTC)


# -- adding, listing, finding ------------------------------------------------------------------


def test_round_trip_newest_first_and_every_way_to_name_a_picture(hist):
    old = hist.ajouter_telechargement(b"v1", meta("2026-03-02T08:00:00+00:00", lignes=3))
    new = hist.ajouter_telechargement(b"v2", meta("2026-11-30T23:30:00+00:00", source="dataspace"))
    added = hist.ajouter_fichier(b"id,nom\na,A\n", "lieux.csv", "dep:29", "2024-09-12", 1)
    assert old.ref == "historique:2026-03-02T08:00:00Z" and old.date == "2026-03-02" and old.lignes == 3
    assert old.libelle == "API nationale, téléchargement du 02/03/2026 à 09:00"  # Paris time, UTC+1 in March
    # 23:30 UTC on 30 November is already 1 December in Paris; the data's date stays the UTC day.
    assert new.date == "2026-11-30" and new.libelle == "Dataspace de l'ANCT, téléchargement du 01/12/2026 à 00:30"
    assert added.ref.startswith("historique:2024-09-12~") and added.libelle == "Fichier lieux.csv (12/09/2024)"
    assert (added.ajoutee, added.nom_fichier, added.source, old.ajoutee) == (True, "lieux.csv", "fichier", False)
    assert [p.ref for p in hist.photos("dep:29")] == [new.ref, old.ref, added.ref]
    assert hist.photos("dep:29") == hist.photos()  # the same pictures read back from their headers
    assert [hist.contenu(p) for p in hist.photos("dep:29")] == [b"v2", b"v1", b"id,nom\na,A\n"]
    assert hist.trouver(old.ref, "dep:29") == old
    assert hist.trouver("2026-03-02T08:00:00Z", "dep:29") == old  # prefix left out
    assert hist.trouver("historique:2026-11-30", "dep:29") == new
    assert hist.trouver(added.ref.removeprefix("historique:"), "dep:29") == added
    assert hist.photos("dep:56") == [] and hist.illisibles() == []
    # One file per picture under the territory's file-safe key, nothing else but the lock.
    assert sorted(p.name for p in (hist.directory / "dep-29").iterdir() if p.suffix == ".photo") == sorted(
        p.chemin.name for p in (old, new, added)
    )


def test_newest_picture_of_the_day_and_own_territory_before_france(hist):
    france = hist.ajouter_telechargement(b"fr", meta("2026-05-04T18:00:00+00:00", territoire="france"))
    morning = hist.ajouter_telechargement(b"m", meta("2026-05-04T07:00:00+00:00"))
    evening = hist.ajouter_telechargement(b"e", meta("2026-05-04T17:00:00+00:00"))
    only_france = hist.ajouter_telechargement(b"f2", meta("2026-06-01T10:00:00+00:00", territoire="france"))
    assert [p.ref for p in hist.photos("dep:29")] == [only_france.ref, france.ref, evening.ref, morning.ref]
    assert hist.trouver("historique:2026-05-04", "dep:29") == evening  # France's is newer but not its own
    assert hist.trouver("historique:2026-06-01", "dep:29") == only_france  # France covers the département
    assert [p.territoire for p in hist.photos("france")] == ["france", "france"]


def test_unknown_date_lists_the_available_ones_in_one_french_sentence(hist):
    with pytest.raises(PhotoIntrouvable, match="l'historique est encore vide"):
        hist.trouver("historique:2026-01-01", "dep:29")
    hist.ajouter_telechargement(b"a", meta("2026-03-02T08:00:00+00:00"))
    hist.ajouter_telechargement(b"b", meta("2026-03-02T09:00:00+00:00"))
    hist.ajouter_fichier(b"c", "lieux.csv", "dep:29", "2024-09-12", 1)
    with pytest.raises(PhotoIntrouvable) as info:
        hist.trouver("historique:2026-01-01", "dep:29")
    assert str(info.value) == (
        "Aucune photo « historique:2026-01-01 » pour ce territoire : photos disponibles du 02/03/2026, 12/09/2024."
    )
    assert isinstance(info.value, LookupError)


def test_refs_stay_unique_within_one_second_and_a_repeat_is_one_picture(hist):
    when = "2026-04-01T10:00:00+00:00"
    first = hist.ajouter_telechargement(b"un", meta(when))
    second = hist.ajouter_telechargement(b"deux", meta(when))
    again = hist.ajouter_telechargement(b"un", meta(when))
    assert first.ref == "historique:2026-04-01T10:00:00Z" and second.ref.startswith(first.ref + "~")
    assert again == first and len(hist.photos("dep:29")) == 2


def test_added_file_is_deduplicated_and_its_date_checked(hist):
    photo = hist.ajouter_fichier(b"contenu", "dossier/lieux.csv", "dep:29", "2024-09-12", 4)
    assert hist.ajouter_fichier(b"contenu", "autre.csv", "dep:29", "2025-01-01", 4) == photo
    assert photo.nom_fichier == "lieux.csv"  # only the name: a path says where the user keeps it
    assert hist.ajouter_fichier(b"contenu", "lieux.csv", "dep:56", "2024-09-12", 4) != photo  # other territory
    demain = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    for bad, message in [
        ("2024-02-30", "n'est pas une date valide"),
        ("12/09/2024", "au format AAAA-MM-JJ"),
        (demain, "est dans le futur"),
    ]:
        with pytest.raises(ValueError, match=message):
            hist.ajouter_fichier(b"x", "lieux.csv", "dep:29", bad, 1)
    with pytest.raises(ValueError, match="nom du fichier"):
        hist.ajouter_fichier(b"x", "", "dep:29", "2024-09-12", 1)


def test_perimeter_ids_are_hashed_into_a_short_directory(hist):
    ident = "perimetre:" + "-".join(str(29000 + i) for i in range(200))
    photo = hist.ajouter_telechargement(b"p", meta("2026-04-01T10:00:00+00:00", territoire=ident))
    assert len(photo.chemin.parent.name) < 70 and hist.trouver("2026-04-01", ident) == photo
    assert hist.photos("dep:29") == []


# -- retention -----------------------------------------------------------------------------------


def test_retention_keeps_the_last_downloads_and_the_newest_of_each_recent_month(tmp_path):
    hist = Historique(tmp_path, Retention(derniers=10, mois=24))
    now = datetime.now(UTC)
    # 30 months, two downloads in each (the 1st and the 2nd), added oldest first as they would happen.
    times = [month_start(back, day, now) for back in range(29, -1, -1) for day in (1, 2)]
    for n, when in enumerate(times):
        hist.ajouter_telechargement(f"payload {n}".encode(), meta(when))
    kept_file = hist.ajouter_fichier(b"ancien fichier", "vieux.csv", "dep:29", "2020-01-01", 1)
    france = hist.ajouter_telechargement(b"france", meta(month_start(40, 1, now), territoire="france"))
    expected = {month_start(back, day, now) for back in range(5) for day in (1, 2)}  # the last 10
    expected |= {month_start(back, 2, now) for back in range(24)}  # the newest of each of 24 months
    downloads = [p for p in hist.photos("dep:29") if p.territoire == "dep:29" and not p.ajoutee]
    assert {datetime.fromisoformat(p.moment) for p in downloads} == expected and len(expected) == 29
    assert kept_file in hist.photos("dep:29")  # added files are never pruned
    assert france in hist.photos("france")  # pruning dep:29 leaves France's pictures alone
    assert hist.elaguer("dep:29") == []  # already applied after each download


def test_retention_rule_alone_with_a_fixed_today(hist):
    photos = [
        hist.ajouter_telechargement(str(when).encode(), meta(when))
        for when in ["2026-01-10T00:00:00+00:00", "2026-01-20T00:00:00+00:00", "2026-02-05T00:00:00+00:00",
                     "2026-03-01T00:00:00+00:00", "2026-03-02T00:00:00+00:00"]
    ]
    rule = Retention(derniers=1, mois=2)
    kept = rule.conservees(photos, maintenant=datetime(2026, 3, 15, tzinfo=UTC))
    assert [p.moment for p in kept] == ["2026-03-02T00:00:00Z", "2026-02-05T00:00:00Z"]
    assert Retention(derniers=0, mois=0).conservees(photos) == []


def test_retention_from_the_environment(monkeypatch, tmp_path):
    assert Retention.depuis_env() == Retention(10, 24)
    monkeypatch.setenv("DIAGNOSTIC_HISTORIQUE_DERNIERS", "3")
    monkeypatch.setenv("DIAGNOSTIC_HISTORIQUE_MOIS", "beaucoup")
    assert Retention.depuis_env() == Retention(3, 24)
    monkeypatch.setenv("DIAGNOSTIC_HISTORIQUE_MOIS", "-2")
    assert Retention.depuis_env() == Retention(3, 24)
    monkeypatch.setenv("DIAGNOSTIC_HISTORIQUE_MOIS", "0")
    hist = Historique(tmp_path)
    assert hist.retention == Retention(3, 0)
    for n in range(6):
        hist.ajouter_telechargement(bytes([n]), meta(f"2026-01-0{n + 1}T00:00:00+00:00"))
    assert [p.date for p in hist.photos("dep:29")] == ["2026-01-06", "2026-01-05", "2026-01-04"]


def test_default_directory_follows_the_cache_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "ailleurs"))
    assert Historique().directory == tmp_path / "ailleurs" / "historique"


# -- damage, crashes, concurrency ------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda data: data[:-10], "fichier incomplet"),
        (lambda data: data[:40], "fichier incomplet"),
        (lambda data: data.replace(b'"lignes": 1', b'"lignes": 1,,'), "métadonnées illisibles"),
        (lambda data: data.replace(b'"source": "api"', b'"source": "apx"'), "métadonnées illisibles"),
        (lambda data: bytes([data[0] ^ 0x01]) + data[1:], "format inconnu"),
        (lambda data: b"", "format inconnu"),
    ],
)
def test_damaged_file_is_skipped_and_reported(hist, damage, reason):
    good = hist.ajouter_telechargement(b"bon", meta("2026-01-01T00:00:00+00:00"))
    bad = hist.ajouter_telechargement(b"abime" * 100, meta("2026-02-01T00:00:00+00:00"))
    bad.chemin.write_bytes(damage(bad.chemin.read_bytes()))
    assert hist.photos("dep:29") == [good]
    assert hist.illisibles("dep:29") == [(bad.chemin, reason)]
    with pytest.raises(PhotoIllisible, match=r"^La photo du 01/02/2026 .* est illisible"):
        hist.contenu(bad)


def test_bit_flipped_payload_is_caught_by_contenu_then_skipped(hist):
    bad = hist.ajouter_telechargement(b"A" * 1000, meta("2026-02-01T00:00:00+00:00"))
    data = bytearray(bad.chemin.read_bytes())
    data[-500] ^= 0x04
    bad.chemin.write_bytes(bytes(data))
    # Listing reads headers only: the payload's checksum is verified when it is read.
    assert hist.photos("dep:29") == [bad]
    with pytest.raises(PhotoIllisible, match=r"contenu altéré"):
        hist.contenu(bad)
    assert hist.photos("dep:29") == [] and hist.illisibles("dep:29") == [(bad.chemin, "contenu altéré")]


def test_removed_picture_and_stale_temp_files(hist):
    photo = hist.ajouter_telechargement(b"x", meta("2026-01-01T00:00:00+00:00"))
    hist.retirer(photo)
    hist.retirer(photo)  # already gone: fine (another process pruned it)
    with pytest.raises(PhotoIllisible, match="n'existe plus"):
        hist.contenu(photo)
    folder = photo.chemin.parent
    stale, recent = folder / ".vieux.abc.tmp", folder / ".encours.def.tmp"
    stale.write_bytes(b"moitie")
    recent.write_bytes(b"en cours")
    old = time.time() - 2 * STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    assert hist.photos("dep:29") == [] and hist.illisibles() == []
    hist.ajouter_telechargement(b"y", meta("2026-01-02T00:00:00+00:00"))
    assert not stale.exists() and recent.exists()


# Children are plain `python -c` processes: multiprocessing's spawn would re-run whatever script is
# `__main__` in the test process (after an AppTest, a Streamlit page).
_AJOUTS = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from diagnostics.sources.historique import Historique, Retention
directory, worker, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
hist = Historique(Path(directory), Retention(derniers=1000, mois=1000))
while not go.exists():
    time.sleep(0.01)
for n in range(20):
    # Same second for everybody: the refs must still come out unique.
    meta = {"source": "api", "territoire": "dep:29", "url": "http://127.0.0.1/x",
            "telecharge_le": datetime.now(UTC).isoformat(timespec="seconds"), "lignes": 1}
    hist.ajouter_telechargement(f"{worker}-{n}".encode() * 1000, meta)
"""

_SUSPENDU = """
import os, sys, time
from datetime import UTC, datetime
from pathlib import Path
from diagnostics.sources.historique import Historique
directory, ready = sys.argv[1], Path(sys.argv[2])
def hang(*args):
    ready.touch()
    time.sleep(600)
os.replace = hang  # this child only: the payload is written and synced, the rename never comes
meta = {"source": "api", "territoire": "dep:29", "url": "http://127.0.0.1/x",
        "telecharge_le": datetime.now(UTC).isoformat(timespec="seconds"), "lignes": 1}
Historique(Path(directory)).ajouter_telechargement(b"x" * 5_000_000, meta)
"""


def _enfant(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=Path(__file__).resolve().parents[1])


def test_processes_adding_at_once_all_land(tmp_path):
    dossier, go = tmp_path / "historique", tmp_path / "go"
    workers = [_enfant(_AJOUTS, str(dossier), str(w), str(go)) for w in range(2)]
    time.sleep(0.5)  # both started (importing): then released together
    go.touch()
    assert [w.wait(120) for w in workers] == [0, 0]
    hist = Historique(dossier)
    photos = hist.photos("dep:29")
    assert len(photos) == 40 and len({p.ref for p in photos}) == 40
    assert {hist.contenu(p) for p in photos} == {f"{w}-{n}".encode() * 1000 for w in range(2) for n in range(20)}
    assert hist.illisibles() == [] and list(dossier.rglob("*.tmp")) == []


def test_process_killed_mid_write_leaves_only_complete_pictures(tmp_path):
    dossier, ready = tmp_path / "historique", tmp_path / "ready"
    hist = Historique(dossier)
    before = hist.ajouter_telechargement(b"complet", meta("2026-01-01T00:00:00+00:00"))
    child = _enfant(_SUSPENDU, str(dossier), str(ready))
    limite = time.time() + 60
    while not ready.exists() and time.time() < limite:
        time.sleep(0.05)
    assert ready.exists()
    child.send_signal(signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL
    assert len(list(dossier.rglob("*.tmp"))) == 1  # the half picture, which no listing shows
    assert hist.photos("dep:29") == [before] and hist.illisibles() == []
    assert hist.contenu(before) == b"complet"
    after = hist.ajouter_telechargement(b"suivant", meta("2026-01-02T00:00:00+00:00"))  # the lock died with it
    assert hist.photos("dep:29") == [after, before]


# -- downloads feed the history ----------------------------------------------------------------------


def fetch(server, tmp_path, historique=None, **kwargs):
    kwargs.setdefault("policy", FAST)
    return api.fetch_places(VAUCLUSE, base_url=server.url, cache=Cache(tmp_path / "cache"), historique=historique, **kwargs)


def test_a_successful_download_adds_one_picture(server, tmp_path, hist):
    result = fetch(server, tmp_path, hist)
    [photo] = hist.photos("dep:84")
    assert (photo.source, photo.territoire, photo.lignes, photo.ajoutee) == ("api", "dep:84", 10, False)
    assert photo.moment[:19] == result.source.date[:19]
    raw, _ = api.parse_export(hist.contenu(photo))
    assert set(raw["id"]) == set(result.lieux["id"])


def test_a_download_served_from_cache_adds_no_picture(server, tmp_path, hist):
    fetch(server, tmp_path, hist)
    server.plan("503", "503")
    result = fetch(server, tmp_path, hist)
    assert result.source.repli is True and len(hist.photos("dep:84")) == 1


def test_recording_can_be_switched_off(server, tmp_path, hist, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_HISTORIQUE", "0")
    assert fetch(server, tmp_path, hist).source.repli is False
    assert hist.photos() == []


def test_default_history_lives_in_the_cache_directory(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "cache_utilisateur"))
    fetch(server, tmp_path)
    assert len(Historique(tmp_path / "cache_utilisateur" / "historique").photos("dep:84")) == 1


def test_a_history_that_cannot_be_written_never_fails_the_download(server, tmp_path):
    blocked = tmp_path / "pas_un_dossier"
    blocked.write_text("un fichier à la place du dossier")
    result = fetch(server, tmp_path, Historique(blocked))
    assert result.source.repli is False and len(result.lieux) == 10
    assert any(note.startswith("Ce téléchargement n'a pas pu être ajouté à l'historique") for note in result.rapport)


def test_dataspace_pictures_hold_no_token(server, tmp_path, hist):
    dataspace.fetch_places(VAUCLUSE, token=TOKEN, base_url=server.url, cache=Cache(tmp_path / "cache"), policy=FAST, historique=hist)
    [photo] = hist.photos("dep:84")
    assert photo.source == "dataspace" and photo.lignes == 10
    files = [p for p in hist.directory.rglob("*") if p.is_file()]
    assert files and not any(TOKEN.encode() in p.read_bytes() for p in files)
    assert not any(b"Camille" in p.read_bytes() for p in files)  # the mediators' names were stripped before


# -- pictures read back as places --------------------------------------------------------------------


def test_api_picture_gives_the_same_places_as_the_download(server, tmp_path, hist):
    territoire = territories.get("dep:84")
    direct = fetch(server, tmp_path, hist)
    [photo] = hist.photos("dep:84")
    again = places.charger_photo(photo, territoire, buffer_km=0, historique=hist)
    expected = places.restreindre(direct.lieux, territoire, 0)
    assert list(again.lieux["id"]) == list(expected["id"]) and list(again.lieux["nom"]) == list(expected["nom"])
    info = again.source
    assert (info.nom, info.libelle, info.date) == ("historique", photo.libelle, photo.date)
    assert info.message.startswith(f"Photo du {photo.jour} (API nationale, téléchargée le ")


def test_dataspace_picture_reads_back(server, tmp_path, hist):
    direct = dataspace.fetch_places(VAUCLUSE, token=TOKEN, base_url=server.url, cache=Cache(tmp_path / "c"), policy=FAST, historique=hist)
    again = places.charger_photo(hist.photos("dep:84")[0], territories.get("dep:84"), buffer_km=0, historique=hist)
    assert sorted(again.lieux["id"]) == sorted(direct.lieux["id"]) and "Dataspace de l'ANCT" in again.source.message


def test_file_picture_and_charger_lieux_by_date(tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    territoire = territories.get("dep:13")
    direct = places.restreindre(charger_fichier(HUB_DU_SUD).lieux, territoire, 0)
    photo = Historique().ajouter_fichier(HUB_DU_SUD.read_bytes(), HUB_DU_SUD.name, "dep:13", "2024-09-12", len(direct))
    again = places.charger_photo(photo, territoire, buffer_km=0)
    assert len(direct) > 0
    assert list(again.lieux["id"]) == list(direct["id"]) and list(again.lieux["nom"]) == list(direct["nom"])
    assert again.source.message == f"Photo du 12/09/2024 (fichier « {HUB_DU_SUD.name} » ajouté à l'historique)."
    by_date = places.charger_lieux(territoire, source="historique:2024-09-12", buffer_km=0)
    assert list(by_date.lieux["id"]) == list(direct["id"]) and by_date.source.nom == "historique"
    with pytest.raises(SourceIndisponible, match="photos disponibles du 12/09/2024"):
        places.charger_lieux(territoire, source="historique:2020-01-01", buffer_km=0)


def test_unreadable_picture_is_a_french_source_error(hist):
    photo = hist.ajouter_telechargement(b"<!DOCTYPE html><html></html>", meta("2026-01-01T00:00:00+00:00", territoire="dep:84"))
    with pytest.raises(SourceIndisponible, match="^La photo du 01/01/2026 n'est plus lisible"):
        places.charger_photo(photo, territories.get("dep:84"), historique=hist)
    photo.chemin.write_bytes(photo.chemin.read_bytes()[:-3])
    with pytest.raises(SourceIndisponible, match="est illisible"):
        places.charger_photo(photo, territories.get("dep:84"), historique=hist)


def test_history_module_stays_below_the_sources():
    # The history is storage only: importing a source from it would make an import loop.
    text = Path(historique_module.__file__).read_text(encoding="utf-8")
    assert not any(f"from .{name} import" in text or f"import {name}" in text for name in ("api", "dataspace", "fichier"))
