"""Distances from each commune to the nearest place: projection zones, nearest place, weighted
statistics, shares of the population within thresholds, white zones, and optional OSRM road times.

Distances are straight lines between the commune's inner point (`pos_lon`/`pos_lat`, always inside
the commune) and the place, measured in an equidistant-enough projection per zone: Lambert-93 for
mainland France and Corsica, the local UTM zone of each overseas département. A place is matched only
with communes of its own zone (no Guadeloupe place for a Martinique commune).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from .. import reference

METHODE = (
    "distance à vol d'oiseau entre le point intérieur de la commune et le lieu, projection Lambert-93 "
    "(métropole et Corse) ou UTM locale (chaque département d'outre-mer)"
)
METHODE_ROUTE = "temps de trajet en voiture (service table d'OSRM), vers le plus proche des lieux candidats"

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

    Projected once per process: every diagnostic reuses these inner-point coordinates. Text columns
    and the index hold Python strings (object dtype): small territories then pay no Arrow conversion
    on every lookup, which dominated a département's diagnostic.
    """
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
    return out


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


@lru_cache(maxsize=1)
def _bornes_zones() -> dict[str, tuple[float, float, float, float]]:
    ref = reference.communes()
    zones = communes_projetees()["zone_proj"].to_numpy()  # same row order as the reference
    bornes = {}
    for zone in CRS_ZONES:
        xmin, ymin, xmax, ymax = ref.geometry[zones == zone].total_bounds
        m = _MARGE_ZONE_DEG
        bornes[zone] = (xmin - m, ymin - m, xmax + m, ymax + m)
    return bornes


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


class OSRMIndisponible(RuntimeError):
    """The OSRM server failed or answered something unusable (French message)."""


def road_times(
    origins: np.ndarray | Sequence[tuple[float, float]],
    destinations: np.ndarray | Sequence[tuple[float, float]],
    osrm_url: str,
    *,
    taille_max: int = 100,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
) -> np.ndarray:
    """Driving times in minutes from each origin to each destination (lon, lat pairs), via OSRM.

    Uses the documented table service `GET {osrm_url}/table/v1/driving/{lon,lat;…}?sources=…&
    destinations=…&annotations=duration`, splitting origins so that no request holds more than
    `taille_max` coordinates (osrm-routed's default --max-table-size is 100). Unroutable pairs are NaN.
    Raises OSRMIndisponible when the server cannot be reached or answers with an error.
    """
    o = np.asarray(origins, dtype=float).reshape(-1, 2)
    d = np.asarray(destinations, dtype=float).reshape(-1, 2)
    out = np.full((len(o), len(d)), np.nan)
    if not len(o) or not len(d):
        return out
    if len(d) >= taille_max:
        raise ValueError(f"Trop de destinations pour une requête OSRM ({len(d)} ≥ {taille_max}).")
    pas = taille_max - len(d)
    own = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        for debut in range(0, len(o), pas):
            bloc = o[debut : debut + pas]
            out[debut : debut + len(bloc)] = _table_osrm(client, osrm_url, bloc, d)
    finally:
        if own:
            client.close()
    return out


def _table_osrm(client: httpx.Client, osrm_url: str, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in np.vstack([origins, destinations]))
    n = len(origins)
    params = {
        "sources": ";".join(str(i) for i in range(n)),
        "destinations": ";".join(str(n + j) for j in range(len(destinations))),
        "annotations": "duration",
    }
    url = f"{osrm_url.rstrip('/')}/table/v1/driving/{coords}"
    try:
        reponse = client.get(url, params=params)
        corps = reponse.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OSRMIndisponible(
            f"Le serveur OSRM ({osrm_url}) n'a pas répondu correctement ({exc.__class__.__name__}) : "
            "vérifiez son adresse ou retirez-la pour garder les distances à vol d'oiseau."
        ) from exc
    if not isinstance(corps, dict):
        corps = {}  # a JSON list or number is no OSRM answer: reported below like any error
    if reponse.status_code != 200 or corps.get("code") != "Ok" or "durations" not in corps:
        raise OSRMIndisponible(
            f"Le serveur OSRM ({osrm_url}) a renvoyé une erreur ({corps.get('code', reponse.status_code)}) : "
            "vérifiez son adresse ou retirez-la pour garder les distances à vol d'oiseau."
        )
    try:
        durees = np.array([[np.nan if v is None else v for v in ligne] for ligne in corps["durations"]], dtype=float)
    except (TypeError, ValueError):
        durees = np.empty(0)  # durations that are not rows of numbers: same message as a wrong shape
    if durees.shape != (n, len(destinations)):
        raise OSRMIndisponible(
            f"Le serveur OSRM ({osrm_url}) a renvoyé un tableau de taille inattendue : "
            "vérifiez qu'il s'agit bien d'OSRM."
        )
    return durees / 60.0


def temps_plus_proche(
    communes: pd.DataFrame,
    lieux: gpd.GeoDataFrame,
    osrm_url: str,
    *,
    candidats: int = 5,
    taille_max: int = 100,
    client: httpx.Client | None = None,
) -> pd.Series:
    """Driving time (minutes) from each commune's inner point to the nearest place by road.

    For each commune the `candidats` nearest places in straight line (same zone) are asked to OSRM and
    the shortest time is kept: the road-nearest place is almost always among them. Communes go by
    blocks sharing one request. `communes` holds lon, lat, x, y, zone_proj (see `communes_choisies`).
    NaN when no candidate is routable or the zone has no place.
    """
    xy = projeter_lieux(lieux)
    temps = np.full(len(communes), np.nan)
    zones = communes["zone_proj"].to_numpy()
    bloc = max(1, taille_max // (candidats + 1))
    own = client is None
    client = client or httpx.Client(timeout=30.0)
    try:
        for zone in pd.unique(zones):
            lieux_zone = xy[(xy["zone_proj"] == zone).to_numpy()]
            if not zone or lieux_zone.empty:
                continue
            positions = np.flatnonzero(zones == zone)
            k = min(candidats, len(lieux_zone))
            arbre = cKDTree(lieux_zone[["x", "y"]].to_numpy())
            _, proches = arbre.query(communes[["x", "y"]].to_numpy()[positions], k=k)
            proches = proches.reshape(len(positions), k)
            origines = communes[["lon", "lat"]].to_numpy()[positions]
            destinations = lieux_zone[["lon", "lat"]].to_numpy()
            for debut in range(0, len(positions), bloc):
                choisis = proches[debut : debut + bloc]
                uniques, inverse = np.unique(choisis, return_inverse=True)
                matrice = road_times(origines[debut : debut + bloc], destinations[uniques], osrm_url,
                                     taille_max=taille_max, client=client)
                par_commune = np.take_along_axis(matrice, inverse.reshape(choisis.shape), axis=1)
                temps[positions[debut : debut + bloc]] = np.fmin.reduce(par_commune, axis=1)  # NaN only if all are
    finally:
        if own:
            client.close()
    return pd.Series(temps, index=communes.index, name="temps_min")
