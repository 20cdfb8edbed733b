"""Distances from each commune to the nearest place: projection zones, nearest place, weighted
statistics, shares of the population within thresholds, white zones, (road times by OSRM: `temps_route`).

Distances are straight lines between the commune's inner point (`pos_lon`/`pos_lat`, always inside
the commune) and the place, measured in an equidistant-enough projection per zone: Lambert-93 for
mainland France and Corsica, the local UTM zone of each overseas département. A place is matched only
with communes of its own zone (no Guadeloupe place for a Martinique commune).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from .. import cache_reference, reference

METHODE = (
    "distance à vol d'oiseau entre le point intérieur de la commune et le lieu, projection Lambert-93 "
    "(métropole et Corse) ou UTM locale (chaque département d'outre-mer)"
)

# Projection zone → EPSG. Guadeloupe and Martinique share UTM 20N but stay separate zones: islands
# 120 km apart must not serve each other.
CRS_ZONES: dict[str, int] = {"metro": 2154, "971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}

# Margin (degrees) around each zone's communes when deciding which zone a place's point falls in:
# catches coastal and offshore points without letting Guadeloupe and Martinique boxes overlap.
_MARGE_ZONE_DEG = 0.25


def zone_projection(dep: str, zone: str) -> str:
    """Projection zone key of a commune: "metro" for mainland and Corsica, else its département code."""
    return "metro" if zone == "metro" else str(dep)


@lru_cache(maxsize=1)
def communes_projetees() -> pd.DataFrame:
    """Reference communes indexed by code: nom, dep, reg, epci, population, zone_proj, lon, lat, x, y (metres).

    Projected once, then cached on disk (`cache_reference`, keyed by the content of communes.parquet
    and of this module): a command does not read the communes' polygons to get their inner points.
    Text columns and the index hold Python strings (object dtype): small territories then pay no
    Arrow conversion on every lookup, which dominated a département's diagnostic.
    """
    return _tables_communes()[0]


@lru_cache(maxsize=1)
def _tables_communes() -> tuple[pd.DataFrame, dict[str, tuple[float, float, float, float]]]:
    entrees = [reference.chemin("communes.parquet"), Path(__file__)]
    return cache_reference.charger("communes_projetees", entrees, _construire_tables_communes)


def _construire_tables_communes() -> tuple[pd.DataFrame, dict[str, tuple[float, float, float, float]]]:
    ref = reference.communes()
    texte = {
        "nom": ref["nom"],
        "dep": ref["dep"],
        "reg": ref["reg"],
        "epci": ref["epci"].fillna(""),
        "zone_proj": pd.Series([zone_projection(d, z) for d, z in zip(ref["dep"], ref["zone"])]),
    }
    index = pd.Index(ref["code"].to_numpy(dtype=object), dtype=object, name="code")
    out = pd.DataFrame(
        {nom: pd.Series(col.to_numpy(dtype=object), index=index, dtype=object) for nom, col in texte.items()}
    )
    out["population"] = ref["population"].to_numpy(dtype="int64")
    x = np.full(len(out), np.nan)
    y = np.full(len(out), np.nan)
    lon, lat = ref["pos_lon"].to_numpy(dtype=float), ref["pos_lat"].to_numpy(dtype=float)
    for zone, epsg in CRS_ZONES.items():
        m = (out["zone_proj"] == zone).to_numpy()
        x[m], y[m] = _transformer(epsg).transform(lon[m], lat[m])
    out["lon"], out["lat"], out["x"], out["y"] = lon, lat, x, y
    zones = out["zone_proj"].to_numpy()
    bornes = {}
    for zone in CRS_ZONES:
        xmin, ymin, xmax, ymax = ref.geometry[zones == zone].total_bounds
        m = _MARGE_ZONE_DEG
        bornes[zone] = (float(xmin - m), float(ymin - m), float(xmax + m), float(ymax + m))
    return out, bornes


def positions_communes(codes: Iterable[str]) -> np.ndarray:
    """Row positions of `codes` in `communes_projetees()`; KeyError naming the first unknown code.

    Looks codes up through the cached index's hash table, much faster than `.loc` on 35,000 codes.
    """
    codes = codes if isinstance(codes, pd.Index) else pd.Index(list(codes), dtype=object)
    positions = communes_projetees().index.get_indexer(codes)
    if (positions < 0).any():
        raise KeyError(f"Code commune inconnu : {codes[int(np.flatnonzero(positions < 0)[0])]}")
    return positions


def communes_choisies(codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Rows of `communes_projetees()` for `codes`, in that order (all communes when None)."""
    ref = communes_projetees()
    return ref if codes is None else ref.iloc[positions_communes(codes)]


@lru_cache(maxsize=None)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def _bornes_zones() -> dict[str, tuple[float, float, float, float]]:
    """Each zone's communes' bounding box (degrees), widened by `_MARGE_ZONE_DEG`."""
    return _tables_communes()[1]


@lru_cache(maxsize=8)
def arbre_communes(zone: str) -> tuple[cKDTree, np.ndarray]:
    """KD-tree over the inner points of one zone's communes, and their row positions in `communes_projetees()`."""
    c = communes_projetees()
    pos = np.flatnonzero((c["zone_proj"] == zone).to_numpy())
    return cKDTree(np.column_stack([c["x"].to_numpy()[pos], c["y"].to_numpy()[pos]])), pos


def projeter_lieux(lieux: gpd.GeoDataFrame) -> pd.DataFrame:
    """Coordinates of places: lon, lat, projected x, y (metres) and zone_proj, indexed like `lieux`.

    A place is in the zone whose communes' bounding box (plus a quarter of a degree) holds its point.
    A place without geometry, or whose point lies in no zone (a collectivity without reference
    geography such as Saint-Martin, or a wrong coordinate), gets zone_proj "" and NaN x, y.
    """
    lon, lat = coordonnees(lieux)
    present = ~(np.isnan(lon) | np.isnan(lat))
    zone = np.full(len(lieux), "", dtype=object)
    x = np.full(len(lieux), np.nan)
    y = np.full(len(lieux), np.nan)
    for key, (xmin, ymin, xmax, ymax) in _bornes_zones().items():
        m = present & (zone == "") & (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
        if m.any():
            zone[m] = key
            x[m], y[m] = _transformer(CRS_ZONES[key]).transform(lon[m], lat[m])
    return pd.DataFrame({"lon": lon, "lat": lat, "x": x, "y": y, "zone_proj": zone}, index=lieux.index)


def coordonnees(lieux: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (EPSG:4326) of each place's point; NaN without a usable point."""
    geom = lieux.geometry
    if lieux.crs is not None and lieux.crs.to_epsg() != 4326:
        geom = geom.to_crs(4326)
    points = np.asarray(geom.array)
    # shapely's own accessors: several times faster than GeoSeries.x on 20,000 points
    return shapely.get_x(points), shapely.get_y(points)


def distance_plus_proche(points: pd.DataFrame, lieux_xy: pd.DataFrame) -> pd.Series:
    """Distance (km) from each point to the nearest place of its zone, indexed like `points`.

    Both frames carry x, y (metres) and zone_proj. A point whose zone has no place gets +inf: it is
    farther than any threshold, and weighted medians still rank it last.
    """
    out = np.full(len(points), np.inf)
    pz, lz = points["zone_proj"].to_numpy(), lieux_xy["zone_proj"].to_numpy()
    p_xy, l_xy = points[["x", "y"]].to_numpy(), lieux_xy[["x", "y"]].to_numpy()
    for zone in pd.unique(pz):
        mp, ml = pz == zone, lz == zone
        if not zone or not ml.any():
            continue
        d, _ = cKDTree(l_xy[ml]).query(p_xy[mp])
        out[mp] = d / 1000.0
    return pd.Series(out, index=points.index, name="distance_km")


def distance_plus_proche_lieu(lieux: gpd.GeoDataFrame, codes: Iterable[str] | None = None) -> pd.Series:
    """Distance (km) from each commune's inner point to the nearest of `lieux`, indexed by commune code.

    `codes` restricts the communes (default: all 2026 communes). Places outside the given communes
    count. This is the `nearest_fn` the offer profile uses for per-service white zones.
    """
    return distance_plus_proche(communes_choisies(codes), projeter_lieux(lieux))


def _valeurs_poids(valeurs, poids) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(valeurs, dtype=float)
    w = np.asarray(poids, dtype=float)
    if v.shape != w.shape:
        raise ValueError("valeurs et poids doivent avoir la même longueur.")
    return v, w


def moyenne_ponderee(valeurs, poids) -> float:
    """Weighted mean over finite values (NaN when their total weight is 0)."""
    v, w = _valeurs_poids(valeurs, poids)
    m = np.isfinite(v) & (w > 0)
    total = w[m].sum()
    return float((v[m] * w[m]).sum() / total) if total > 0 else float("nan")


def mediane_ponderee(valeurs, poids) -> float:
    """Weighted median: the smallest value v such that values ≤ v carry at least half the total weight.

    With populations as weights: at least half of the population lives at distance ≤ v, and less than
    half at distance < v. It is always one of the values (no interpolation); +inf values (no place in
    the zone) rank last; NaN values are ignored. NaN when the total weight is 0.
    """
    v, w = _valeurs_poids(valeurs, poids)
    groupes = np.zeros(len(v), dtype=np.int64)
    return float(mediane_ponderee_par_groupe(v, w, groupes, n_groupes=1)[0])


def mediane_ponderee_par_groupe(valeurs, poids, groupes: np.ndarray, n_groupes: int) -> np.ndarray:
    """`mediane_ponderee` for each group at once; `groupes` holds integer codes 0..n_groupes-1."""
    v, w = _valeurs_poids(valeurs, poids)
    g = np.asarray(groupes, dtype=np.int64)
    keep = ~np.isnan(v) & (w > 0) & (g >= 0)
    v, w, g = v[keep], w[keep], g[keep]
    out = np.full(n_groupes, np.nan)
    if not len(v):
        return out
    ordre = np.argsort(v, kind="stable")
    ordre = ordre[np.argsort(g[ordre], kind="stable")]  # by group, then by value
    v, w, g = v[ordre], w[ordre], g[ordre]
    totaux = np.bincount(g, weights=w, minlength=n_groupes)
    # running weight within each group; exact for integer populations (float64 below 2**53)
    avant = np.concatenate([[0.0], np.cumsum(totaux)[:-1]])
    dans_groupe = np.cumsum(w) - avant[g]
    atteint = np.flatnonzero(dans_groupe >= totaux[g] / 2.0)
    _, premier = np.unique(g[atteint], return_index=True)
    choisis = atteint[premier]
    out[g[choisis]] = v[choisis]
    return out


def part_population_a_moins_de(
    distances, population, seuils_km: Sequence[float] = (5, 10, 15, 20)
) -> dict[float, float]:
    """Share (0–1) of the population living at distance ≤ each threshold; NaN if the population is 0."""
    d, w = _valeurs_poids(distances, population)
    total = w.sum()
    return {s: (float(w[d <= s].sum() / total) if total > 0 else float("nan")) for s in seuils_km}


def zones_blanches(communes: pd.DataFrame, distances: pd.Series, rayon_km: float = 10) -> pd.DataFrame:
    """Communes with no place within `rayon_km`, largest population first.

    `communes` is indexed by code with nom and population; `distances` (km) is indexed the same way.
    Returns code, nom, population, distance_km (inf when the zone has no place at all).
    """
    d = distances.reindex(communes.index).to_numpy(dtype=float)
    loin = d > rayon_km
    code = communes.index.to_numpy(dtype=object)[loin]
    population = communes["population"].to_numpy(dtype="int64")[loin]
    ordre = np.lexsort((code, -d[loin], -population))  # most populated, then farthest, then code
    return pd.DataFrame(
        {
            "code": code[ordre],
            "nom": communes["nom"].to_numpy(dtype=object)[loin][ordre],
            "population": population[ordre],
            "distance_km": d[loin][ordre],
        }
    )
