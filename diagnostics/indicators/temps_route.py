"""Driving times to the nearest place through an OSRM server the user names (table service).

Apart from the straight-line distances (`distances`) because it is the only indicator that goes to
the network: a command that does not ask for road times never imports the HTTP client.
"""
from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .distances import projeter_lieux

METHODE_ROUTE = "temps de trajet en voiture (service table d'OSRM), vers le plus proche des lieux candidats"


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
