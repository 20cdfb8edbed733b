"""Normalize any places table (standard v1, legacy v0 or a mix of both) to the canonical places frame.

First version: column renames and coercion only; value normalization follows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from diagnostics.standard.fields import ANOMALIES, LIGNE_SOURCE, ORIGINE, field_names, to_places_frame

_RENAMES = {"courriel": "courriels", "conditions_acces": "frais_a_charge", "conditions_access": "frais_a_charge",
            "labels_autres": "autres_formations_labels", "accessibilite": "fiche_acces_libre"}


@dataclass
class Normalisation:
    lieux: gpd.GeoDataFrame
    changements: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["ligne", "champ", "avant", "apres", "regle"])
    )
    rapport: list[str] = field(default_factory=list)


def normalize(raw: pd.DataFrame | list[dict], origine: str) -> Normalisation:
    """Normalize a raw places table to the canonical frame (one row per input row, same order)."""
    frame = pd.DataFrame(raw) if not isinstance(raw, pd.DataFrame) else raw.copy()
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame = frame.rename(columns={k: v for k, v in _RENAMES.items() if v not in frame.columns})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    keep = [c for c in frame.columns if c in field_names()]
    out = frame[keep].copy()
    out[ORIGINE] = origine
    out[LIGNE_SOURCE] = range(1, len(frame) + 1)
    out[ANOMALIES] = ""
    return Normalisation(lieux=to_places_frame(out))
