"""On-disk cache of the last good download of each (source, territory, service address), and the
fallback to it when the network fails.

One file per key holds a header line of metadata (JSON) and the raw payload, so it is replaced in a
single atomic rename, and only after the whole download parsed: a failed, partial or killed download
never replaces a good cache. Tokens are never written: the dataspace token travels in a header only,
and URLs are stripped of credentials before they are recorded.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx

from ..paths import cache_dir
from .base import Lieux, SourceIndisponible
from .entrees import SECRET, decode_entry, remove_stale_temps, territory_key, write_entry
from .http import DownloadError

if TYPE_CHECKING:  # api.py and dataspace.py hand the history in: imported for types only
    from .historique import Historique

MAGIC = b"diagnostic-inclusion-cache 1\n"


@dataclass(frozen=True)
class CacheEntry:
    payload: bytes
    meta: dict  # source, territoire, url, telecharge_le (ISO UTC), lignes, taille, sha256

    @property
    def downloaded_at(self) -> datetime:
        when = datetime.fromisoformat(self.meta["telecharge_le"])
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    @property
    def age(self) -> timedelta:
        return datetime.now(timezone.utc) - self.downloaded_at


@dataclass(frozen=True)
class CacheRead:
    entry: CacheEntry | None
    note: str = ""  # French sentence when the cache file existed but could not be read


class Cache:
    """The places cache, by default under `paths.cache_dir() / "lieux"`."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else cache_dir() / "lieux"

    @staticmethod
    def key(source: str, territoire_id: str, base_url: str, extra: Iterable[str] = ()) -> str:
        """File-safe key; the service address and any extra request parts (neighbours) are hashed."""
        digest = hashlib.sha256("\n".join([redact_url(base_url), *sorted(extra)]).encode()).hexdigest()[:12]
        return f"{source}_{territory_key(territoire_id)}_{digest}"

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.cache"

    def save(self, key: str, payload: bytes, meta: dict) -> Path:
        """Atomically write `payload` and `meta` as the cache of `key` (temp file, fsync, rename)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(self.directory, f".{key}.*.tmp")
        write_entry(self.path(key), MAGIC, meta, payload)
        return self.path(key)

    def load(self, key: str) -> CacheRead:
        """The last good download of `key`; a missing file gives no entry, an unreadable one a note."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return CacheRead(None)
        except OSError:
            return CacheRead(None, _unreadable(path, "lecture impossible"))
        try:
            return CacheRead(_decode(data))
        except ValueError as exc:
            return CacheRead(None, _unreadable(path, str(exc)))


def redact_url(url: str) -> str:
    """`url` without user:password and without query parameters that look like secrets."""
    parsed = httpx.URL(url)
    params = [(k, v) for k, v in parsed.params.multi_items() if not SECRET.search(k)]
    return str(parsed.copy_with(userinfo=b"", params=params))


def download_meta(source: str, territoire_id: str, url: str, lignes: int) -> dict:
    """Metadata recorded with a payload (download time now, in UTC)."""
    return {
        "source": source,
        "territoire": territoire_id,
        "url": redact_url(url),
        "telecharge_le": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "lignes": lignes,
    }


def with_fallback(
    download: Callable[[], tuple[Lieux, bytes, dict]],
    parse: Callable[[bytes], Lieux],
    *,
    cache: Cache,
    key: str,
    service: str,
    refus: tuple[int, ...] = (),
    historique: Historique | None = None,
) -> Lieux:
    """Run `download`; cache its payload on success, else serve the last good cache of `key`.

    `download` returns (places, raw payload, metadata) and raises `DownloadError`; `parse` turns a
    cached payload back into places. `service` names the source at the start of a sentence
    (« L'API nationale »). Raises `SourceIndisponible` when neither works, and at once for the HTTP
    statuses in `refus`: the cache is shared by whoever uses the source, so a refused credential must
    not be answered with what another credential downloaded.

    A successful download is also kept as a dated picture in `historique` (when given and recording
    is on), whether or not the cache could be written; a download served from the cache adds none.
    """
    try:
        lieux, payload, meta = download()
    except DownloadError as error:
        if error.status in refus:
            raise SourceIndisponible(str(error)) from error
        return _serve_cache(error, parse, cache, key, service)
    try:
        cache.save(key, payload, meta)
    except OSError as exc:
        lieux.rapport.append(
            f"Le cache local n'a pas pu être enregistré ({exc.strerror or exc}) : les données sont à jour "
            "mais ne seront pas disponibles sans connexion."
        )
    if historique is not None and historique.actif:
        try:
            historique.ajouter_telechargement(payload, meta)
        except OSError as exc:
            lieux.rapport.append(
                f"Ce téléchargement n'a pas pu être ajouté à l'historique des photos ({exc.strerror or exc}) : "
                "les données sont à jour mais ne pourront pas être comparées plus tard."
            )
    return lieux


def _serve_cache(error: DownloadError, parse, cache: Cache, key: str, service: str) -> Lieux:
    read = cache.load(key)
    if read.entry is None:
        raise SourceIndisponible(" ".join(filter(None, [str(error), read.note]))) from error
    try:
        lieux = parse(read.entry.payload)
    except DownloadError as stale:
        raise SourceIndisponible(f"{error} Le cache local n'est plus lisible non plus ({stale.reason}).") from error
    when = read.entry.downloaded_at.astimezone(ZoneInfo("Europe/Paris"))
    lieux.source = replace(
        lieux.source,
        date=read.entry.meta["telecharge_le"],
        repli=True,
        message=f"{service} n'a pas répondu ({error.reason}) ; affichage des données du "
        f"{when:%d/%m/%Y à %H:%M} en cache.",
    )
    lieux.rapport.insert(0, str(error))
    return lieux


def _decode(data: bytes) -> CacheEntry:
    meta, payload = decode_entry(data, MAGIC)
    try:
        datetime.fromisoformat(meta["telecharge_le"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("métadonnées illisibles") from exc
    return CacheEntry(payload, meta)


def _unreadable(path: Path, why: str) -> str:
    return f"Le fichier de cache {path.name} est illisible ({why}) : il est ignoré et sera remplacé au prochain téléchargement réussi."
