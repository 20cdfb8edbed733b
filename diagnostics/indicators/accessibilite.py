"""Accessibility score per commune: enhanced two-step floating catchment (E2SFCA), in places per
10,000 inhabitants within reach, computed on sparse neighbour pairs (no long-form merges).

Step 1, for each place j: R_j = S_j / Σ_k P_k·W(d_kj) over communes k within the catchment.
Step 2, for each commune i: A_i = Σ_j R_j·W(d_ij) over places j within the catchment; reported ×10,000.
S_j is 1 per place (or a weight such as weekly opening hours), P_k the commune population at its
inner point, d the straight-line distance in the zone's projection (see `distances`), W the decay.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .distances import arbre_communes, communes_projetees, positions_communes, projeter_lieux

Decroissance = Callable[[np.ndarray], np.ndarray]

RAYON_KM = 20.0
PAR_HABITANTS = 10_000
METHODE = "E2SFCA (aire de chalandise flottante à deux étapes, pondérée par la distance)"


def gaussian(sigma: float) -> Decroissance:
    """Gaussian decay exp(-d² / 2σ²), equal to 1 at distance 0 (same form as access.weights.gaussian)."""
    if sigma <= 0:
        raise ValueError("sigma doit être strictement positif.")
    return lambda d: np.exp(-np.asarray(d, dtype=float) ** 2 / (2.0 * sigma**2))


def step(paliers: Mapping[float, float]) -> Decroissance:
    """Stepped decay: weight paliers[s] for the smallest threshold s ≥ d, 0 beyond the largest.

    Same rule as access.weights.step_fn, e.g. step({10: 1, 20: 0.68, 30: 0.22}).
    """
    seuils = np.array(sorted(paliers), dtype=float)
    valeurs = np.append(np.array([paliers[s] for s in sorted(paliers)], dtype=float), 0.0)
    if (valeurs < 0).any():
        raise ValueError("Les poids d'une décroissance par paliers doivent être positifs.")
    return lambda d: valeurs[np.searchsorted(seuils, np.asarray(d, dtype=float), side="left")]


def decroissance_par_defaut(rayon_km: float) -> Decroissance:
    """Gaussian with σ = catchment / 2: weight 0.88 at a quarter of the catchment, 0.61 at half, 0.14 at the edge."""
    return gaussian(rayon_km / 2.0)


def description_decroissance(rayon_km: float, decroissance: Decroissance | None) -> str:
    """French description of the decay in use, for the diagnostic's parameters."""
    if decroissance is None:
        return f"gaussienne, sigma = {rayon_km / 2:g} km (poids 0,61 à {rayon_km / 2:g} km, 0,14 à {rayon_km:g} km)"
    return "fonction fournie par l'appelant"


def e2sfca(
    i: np.ndarray,
    j: np.ndarray,
    d_km: np.ndarray,
    population: np.ndarray,
    offre: np.ndarray,
    decroissance: Decroissance,
) -> np.ndarray:
    """E2SFCA ratio (supply per inhabitant) for each demand point, from sparse pairs within the catchment.

    `i`, `j`, `d_km` are the pairs (demand index, supply index, distance); `population` and `offre`
    are per demand point and per supply point. A place reached by no inhabitant (R_j = S_j / 0) serves
    no one and contributes 0.
    """
    w = decroissance(d_km)
    demande = np.bincount(j, weights=w * population[i], minlength=len(offre))
    ratio = np.divide(offre, demande, out=np.zeros(len(offre)), where=demande > 0)
    return np.bincount(i, weights=w * ratio[j], minlength=len(population))


def poids_offre(poids: pd.Series | None, index: pd.Index) -> tuple[np.ndarray, int]:
    """Supply per place aligned on `index`: 1 each, or `poids`; returns (values, number of values filled).

    Missing, negative or non-finite weights (e.g. unreadable opening hours) are replaced by the median
    of the valid ones (1 if none), so a place with unknown hours still counts as a typical place.
    """
    if poids is None:
        return np.ones(len(index)), 0
    aligne = poids if poids.index.equals(index) else poids.reindex(index)  # equal indexes may hold duplicates
    p = np.array(pd.to_numeric(aligne, errors="coerce"), dtype=float)  # a writable copy
    invalides = ~np.isfinite(p) | (p < 0)
    valides = p[~invalides]
    p[invalides] = float(np.median(valides)) if len(valides) else 1.0
    return p, int(invalides.sum())


def accessibilite_e2sfca(
    lieux: gpd.GeoDataFrame | None,
    codes=None,
    *,
    rayon_km: float = RAYON_KM,
    decroissance: Decroissance | None = None,
    poids: pd.Series | None = None,
    lieux_xy: pd.DataFrame | None = None,
    communes: pd.DataFrame | None = None,
) -> pd.Series:
    """E2SFCA score per commune in places per 10,000 inhabitants within reach, indexed by commune code.

    Demand is every 2026 commune's population at its inner point (also outside `codes`, since
    neighbours compete for the same places), or the rows of `communes` (x, y in metres, zone_proj,
    population); supply is each located place (1, or `poids` indexed like `lieux`, e.g. weekly opening
    hours); pairs farther than `rayon_km` do not count; `decroissance` defaults to
    `decroissance_par_defaut(rayon_km)`. `codes` restricts the returned communes. Pass `lieux_xy`
    (x, y, zone_proj, from `distances.projeter_lieux`) to avoid projecting the places twice; `lieux`
    is then not read.
    """
    decroissance = decroissance or decroissance_par_defaut(rayon_km)
    demande = communes_projetees() if communes is None else communes
    xy = projeter_lieux(lieux) if lieux_xy is None else lieux_xy
    offre, _ = poids_offre(poids, xy.index)
    population = demande["population"].to_numpy(dtype=float)
    lieux_points = xy[["x", "y"]].to_numpy()
    lz = xy["zone_proj"].to_numpy()
    dz = demande["zone_proj"].to_numpy()
    score = np.zeros(len(demande))
    for zone in pd.unique(lz[lz != ""]):
        if communes is None:
            arbre, positions = arbre_communes(zone)  # the reference communes' trees are built once
        else:
            positions = np.flatnonzero(dz == zone)
            arbre = cKDTree(demande[["x", "y"]].to_numpy()[positions])
        ml = np.flatnonzero(lz == zone)
        if not len(positions):
            continue
        paires = arbre.sparse_distance_matrix(cKDTree(lieux_points[ml]), rayon_km * 1000.0, output_type="ndarray")
        i, j = paires["i"].astype(np.int64), paires["j"].astype(np.int64)
        score[positions] = e2sfca(i, j, paires["v"] / 1000.0, population[positions], offre[ml], decroissance)
    out = pd.Series(score * PAR_HABITANTS, index=demande.index, name="acces_10000")
    if codes is None:
        return out
    return out.iloc[positions_communes(codes)] if communes is None else out.reindex(list(codes))
