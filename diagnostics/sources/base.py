"""The result every places source returns, and the error it raises when it cannot serve anything."""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd


class SourceIndisponible(RuntimeError):
    """No places could be served; the message is one French sentence saying what to do."""


@dataclass(frozen=True)
class SourceInfo:
    nom: str  # "embarque" | "api" | "dataspace" | "fichier"
    libelle: str  # French label shown to users, e.g. "API nationale (cartographie.societenumerique.gouv.fr)"
    date: str  # ISO 8601: download time for online sources, data date for the snapshot and files
    repli: bool = False  # served from a fallback (last good cache, or the snapshot) after a failure
    message: str = ""  # French note for the user (why a fallback was used, what is partial…)

    def to_dict(self) -> dict:
        return {"nom": self.nom, "libelle": self.libelle, "date": self.date, "repli": self.repli, "message": self.message}


@dataclass
class Lieux:
    lieux: gpd.GeoDataFrame  # canonical places frame
    source: SourceInfo
    rapport: list[str] = field(default_factory=list)  # French notes: rows kept with problems, conversions made
    # Fields of which some values were converted from the v0 standard on reading: one v0 value may
    # stand for several v1 values, so comparing with another picture must allow for it.
    champs_v0: frozenset[str] = frozenset()
