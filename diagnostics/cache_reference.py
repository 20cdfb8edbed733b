"""Tables derived from the reference data (territory index, passage table…), cached on disk in
`data/cache/` so that a command does not rebuild them, nor import geopandas, at every start.

A cached table is keyed by a content hash of its input files and of the source of the modules that
build it: change a file of `data/` or the code, and the next start rebuilds it; it is never stale.
The files are pickles written by this project next to its own data, read with the same trust as its
code. Where `data/` cannot be written, the table is simply built in memory, as before.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from .paths import DATA_DIR

# Bump to invalidate every cached table at once (for example when the pickle layout changes).
_FORMAT = "1"


def dossier() -> Path:
    """Where cached tables live: `data/cache/` (git-ignored)."""
    return DATA_DIR / "cache"


def empreinte(entrees: Iterable[Path], extra: str = "") -> str:
    """Content hash of `entrees` (files, in order) and of `extra`; a missing file counts as such."""
    h = hashlib.blake2b(_FORMAT.encode(), digest_size=16)
    h.update(extra.encode() + b"\0")
    for path in entrees:
        path = Path(path)
        h.update(path.name.encode() + b"\0" + _empreinte_fichier(path, *_etat(path)))
    return h.hexdigest()


def _etat(path: Path) -> tuple:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (None, None)
    return (st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _empreinte_fichier(path: Path, taille, mtime) -> bytes:
    # Keyed by size and mtime too, so that within one process a file rewritten in place is hashed again;
    # several tables of one start share the hash of communes.parquet.
    if taille is None:
        return b"absent"
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").digest()


def charger(nom: str, entrees: Iterable[Path], construire: Callable[[], object], *, extra: str = ""):
    """The table `nom` built by `construire()` from the files `entrees`, read from the disk cache when
    one exists for the current content of those files, else built and written there.

    Parameters
    ----------
    nom : str
        File-name stem of the cached table (one file per table, older versions replaced).
    entrees : iterable of Path
        Every file the table depends on, data and code alike.
    construire : callable
        Builds the table; its result must be picklable.
    extra : str
        What else the table depends on (a fingerprint of the places it was computed from, parameters).
    """
    cle = empreinte(entrees, extra)
    chemin = dossier() / f"{nom}-{cle}.pickle"
    try:
        with chemin.open("rb") as f:
            donnees = f.read()
    except OSError:
        donnees = None
    if donnees is not None:
        # Tens of thousands of small objects: the cyclic collector would run many times for nothing.
        gc.disable()
        try:
            return pickle.loads(donnees)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            pass  # truncated or from another layout: rebuilt below
        finally:
            gc.enable()
    table = construire()
    _ecrire(chemin, nom, table)
    return table


def _ecrire(chemin: Path, nom: str, table) -> None:
    try:
        chemin.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a process starting meanwhile reads a whole file or none.
        fd, provisoire = tempfile.mkstemp(dir=chemin.parent, prefix=f".{nom}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(table, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(provisoire, 0o644)
            os.replace(provisoire, chemin)
        except BaseException:
            Path(provisoire).unlink(missing_ok=True)
            raise
        for ancien in chemin.parent.glob(f"{nom}-*.pickle"):
            if ancien != chemin:
                ancien.unlink(missing_ok=True)
    except OSError:
        pass  # read-only data/: the table stays in memory for this process
