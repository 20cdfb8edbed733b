"""Where the project's files live: the committed reference data and the per-user cache."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
DATA_DIR = Path(os.environ.get("DIAGNOSTIC_DATA_DIR", ROOT_DIR / "data"))
SHARED_DIR = Path(os.environ.get("DIAGNOSTIC_SHARED_DIR", ROOT_DIR.parent / "shared"))


def cache_dir() -> Path:
    """Downloads cache (per territory and source); outside the repository by default."""
    base = os.environ.get("DIAGNOSTIC_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "diagnostic-inclusion" if xdg else Path.home() / ".cache" / "diagnostic-inclusion"
