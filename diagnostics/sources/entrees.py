"""Files of entries on disk, the layout shared by the download cache and the history of pictures: a
magic line, one JSON header line, then the payload. One file is one atomic rename, and the header alone
(first line) says what the file holds without reading the payload."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

STALE_TEMP_SECONDS = 3600  # a temp file older than this was left by a killed process
SECRET = re.compile(r"token|key|secret|password|auth", re.IGNORECASE)  # names that never reach the disk

def territory_key(territoire_id: str) -> str:
    """File-safe form of a territory id ("dep:29" → "dep-29"); long perimeter ids are shortened by a hash."""
    ident = re.sub(r'[^A-Za-z0-9_-]', '-', territoire_id)
    if len(ident) > 60:
        # A perimeter's identifier holds its whole commune list: too long for a file name.
        ident = f"{ident[:40]}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}"
    return ident


def write_entry(path: Path, magic: bytes, meta: dict, payload: bytes) -> dict:
    """Atomically write `magic`, `meta` (plus taille and sha256) and `payload` to `path`; returns the header.

    Temp file in the same directory (same file system, so the rename is atomic), fsync, rename, fsync
    of the directory: a reader sees the old file or the whole new one, never half of it.
    """
    secrets = [name for name in meta if SECRET.search(name)]
    if secrets:
        # Callers never pass credentials; refusing here keeps a future mistake off the disk.
        raise ValueError(f"refusing to write secret-looking metadata keys: {secrets}")
    header = {**meta, "taille": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    line = json.dumps(header, ensure_ascii=False).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(magic + line + b"\n")
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_directory(path.parent)
    return header


def decode_header(data: bytes, magic: bytes) -> tuple[dict, int]:
    """The header of an entry and the offset where its payload starts; ValueError (French reason) if unreadable.

    `data` may be the whole file or only its beginning (listing reads the first line only).
    """
    if not data.startswith(magic):
        raise ValueError("format inconnu")
    end = data.find(b"\n", len(magic))
    if end < 0:
        raise ValueError("fichier incomplet")
    try:
        meta = json.loads(data[len(magic) : end])
        int(meta["taille"]), str(meta["sha256"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("métadonnées illisibles") from exc
    return meta, end + 1


def decode_entry(data: bytes, magic: bytes) -> tuple[dict, bytes]:
    """(header, payload) of a whole entry, the payload checked against the header's size and sha256."""
    meta, start = decode_header(data, magic)
    payload = data[start:]
    if len(payload) != int(meta["taille"]):
        raise ValueError("fichier incomplet")
    if hashlib.sha256(payload).hexdigest() != meta["sha256"]:
        raise ValueError("contenu altéré")
    return meta, payload


def remove_stale_temps(directory: Path, pattern: str) -> None:
    """Remove the temp files matching `pattern` left by a killed process (older than STALE_TEMP_SECONDS);
    younger ones may belong to another process writing right now."""
    for tmp in directory.glob(pattern):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > STALE_TEMP_SECONDS:
                tmp.unlink()


def fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (Windows), hence best effort.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
