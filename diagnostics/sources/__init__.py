"""Where places come from: the embedded snapshot, the national API, the ANCT dataspace, a local file.

Every source returns a `Lieux`: one canonical places frame (see `diagnostics.standard.fields`) and
what the user must know about where it came from.
"""
from .base import Lieux, SourceInfo, SourceIndisponible

__all__ = ["Lieux", "SourceInfo", "SourceIndisponible"]
