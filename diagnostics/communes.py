"""Attaching places to their 2026 commune (from the INSEE code, the point, or the postcode and name), with
French notes on what was inferred and on coordinates that contradict the declared commune.
"""
from __future__ import annotations

import re
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import reference
from .standard.fields import ANOMALIES, CODE_COMMUNE
from .territories import normalize_name, passage_2026

# A point this close to a commune it is not inside is taken as inside: the reference outlines are
# simplified at 200 m, so coastal and border addresses often fall just outside.
TOLERANCE_KM = 1.0
# A point this far outside the commune named by postcode and name loses to them.
DESACCORD_KM = 10.0
# Beyond this distance from every commune, a point is not in France (metro + DROM) at all.
HORS_FRANCE_KM = 20.0
_EARTH_RADIUS_KM = 6371.0088
_INSEE_PATTERN = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
_ARRONDISSEMENT = re.compile(r"\s+\d+\s*(e|er|eme|ème)?(\s+arrondissement)?$")
_CEDEX = re.compile(r"\s+cedex(\s+\d+)?$")


# ---------------------------------------------------------------------------------------------------
# Lookup tables built once


def _clean_postcode(value: str) -> str:
    value = value.strip().removesuffix(".0")
    return value.zfill(5) if value.isdigit() and len(value) == 4 else value


def _clean_commune_name(value: str) -> str:
    """Normalized commune name without "Cedex" or a trailing arrondissement number ("Marseille 15e")."""
    name = _CEDEX.sub("", normalize_name(value))
    return _ARRONDISSEMENT.sub("", name)


def _departements_of_postcode(cp: str) -> tuple[str, ...]:
    if cp.startswith("97"):
        return (cp[:3],)
    if cp.startswith("20"):
        return ("2A", "2B")
    return (cp[:2],)


@lru_cache(maxsize=1)
def _postcode_tables() -> tuple[dict, dict, dict]:
    """(postcode, name) → codes, (département, name) → codes, postcode → codes.

    Names include those of former, délégué and associé communes, which addresses still use.
    """
    communes = reference.communes()
    codes = communes["code"].tolist()
    deps = dict(zip(codes, communes["dep"].tolist()))
    postcodes = dict(zip(codes, communes["codes_postaux"].fillna("").str.split().tolist()))
    names: dict[str, set[str]] = {c: {_clean_commune_name(n)} for c, n in zip(codes, communes["nom"].tolist())}
    passage = reference.passage()
    for source_name, code in zip(passage["nom_source"].tolist(), passage["code_2026"].tolist()):
        if source_name and code in names:
            names[code].add(_clean_commune_name(source_name))
    by_cp_name: dict[tuple[str, str], set[str]] = {}
    by_dep_name: dict[tuple[str, str], set[str]] = {}
    by_cp: dict[str, set[str]] = {}
    for code in codes:
        for cp in postcodes[code]:
            by_cp.setdefault(cp, set()).add(code)
            for name in names[code]:
                by_cp_name.setdefault((cp, name), set()).add(code)
        for name in names[code]:
            by_dep_name.setdefault((deps[code], name), set()).add(code)
    return by_cp_name, by_dep_name, by_cp


def _lookup_name(cp: str, name: str) -> str | None:
    by_cp_name, by_dep_name, by_cp = _postcode_tables()
    if not name or not re.fullmatch(r"\d{5}", cp):
        return None
    found = by_cp_name.get((cp, name), set())
    if cp not in by_cp:
        # Cedex and company postcodes are not in the commune list: fall back on the département.
        found = set().union(*(by_dep_name.get((dep, name), set()) for dep in _departements_of_postcode(cp)))
    return next(iter(found)) if len(found) == 1 else None


def code_from_postcode_and_name(code_postal: str, commune: str) -> str | None:
    """The 2026 INSEE code of the commune named `commune` with postcode `code_postal`, if exactly one matches.

    Tolerant of accents, case, hyphens, "St"/"Ste", "Cedex" and arrondissement numbers; when the postcode
    serves no commune (Cedex, company postcodes), the name is looked up in the postcode's département.
    """
    cp = _clean_postcode(str(code_postal or ""))
    return _lookup_name(cp, _clean_commune_name(str(commune or "")))


def commune_inner_points(codes) -> pd.DataFrame:
    """Inner point (`pos_lat`, `pos_lon`) of each commune, as columns latitude and longitude.

    Former codes go through the passage table; unknown codes give NaN. The index is that of `codes`
    when it is a Series.
    """
    codes = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    current = codes.astype(object).map(lambda c: passage_2026().get(str(c), str(c)))
    table = reference.communes().set_index("code")
    return pd.DataFrame(
        {"latitude": current.map(table["pos_lat"]), "longitude": current.map(table["pos_lon"])},
        index=codes.index,
    ).astype(float)


# ---------------------------------------------------------------------------------------------------
# Attaching


def _text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    column = frame[name]
    return column.astype(object).where(column.notna(), "").astype(str)


def _km(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", "\u202f") + " km"
    return f"{value:.1f}".replace(".", ",") + " km"


def _distance_km(points: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """Great-circle length of the shortest segment from each point to its shape (degrees → km)."""
    if len(points) == 0:
        return np.zeros(0)
    ends = shapely.get_coordinates(shapely.shortest_line(points, shapes)).reshape(-1, 2, 2)
    lon1, lat1 = np.radians(ends[:, 0, 0]), np.radians(ends[:, 0, 1])
    lon2, lat2 = np.radians(ends[:, 1, 0]), np.radians(ends[:, 1, 1])
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _points(frame: pd.DataFrame) -> np.ndarray:
    """Points from latitude/longitude (the contract's truth); None where missing or at the 0,0 placeholder."""
    lat = pd.to_numeric(frame["latitude"], errors="coerce") if "latitude" in frame else pd.Series(np.nan, frame.index)
    lon = pd.to_numeric(frame["longitude"], errors="coerce") if "longitude" in frame else pd.Series(np.nan, frame.index)
    lat, lon = lat.to_numpy(dtype=float), lon.to_numpy(dtype=float)
    usable = np.isfinite(lat) & np.isfinite(lon) & ~((lat == 0) & (lon == 0))
    points = np.full(len(frame), None, dtype=object)
    points[usable] = shapely.points(lon[usable], lat[usable])
    return points


def _point_communes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point: row of the commune holding it (-1 if none) and distance in km to the nearest commune."""
    communes = reference.communes()
    n = len(points)
    row = np.full(n, -1)
    distance = np.full(n, np.nan)
    present = np.flatnonzero(pd.notna(points))
    if len(present) == 0:
        return row, distance
    hits, polygons = communes.sindex.query(points[present], predicate="within")
    # A point on a shared border is within neither or both; keep the first commune.
    first, where = np.unique(hits, return_index=True)
    row[present[first]] = polygons[where]
    distance[present[first]] = 0.0
    outside = present[row[present] < 0]
    if len(outside):
        hits, polygons = communes.sindex.nearest(points[outside], return_all=False)
        nearest = outside[hits]
        geoms = communes.geometry.to_numpy()[polygons]
        distance[nearest] = _distance_km(points[nearest], geoms)
        close = nearest[distance[nearest] <= TOLERANCE_KM]
        row[close] = polygons[distance[nearest] <= TOLERANCE_KM]
    return row, distance


def _swapped_inside(points: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Whether each point, with latitude and longitude exchanged, falls inside the matching shape."""
    coords = shapely.get_coordinates(points)
    return shapely.within(shapely.points(coords[:, 1], coords[:, 0]), geoms)


def attach_communes(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy of `places` with `code_commune_2026` set wherever the commune can be determined.

    Evidence, in order: `code_insee` (any vintage, through the passage table), the point (inside a commune,
    or within 1 km of one), `code_postal` + `commune` name, `code_postal` alone when it serves a single
    commune; the point gives way when postcode and name agree on a commune more than 10 km from it. An empty
    `code_insee` is filled with the code found. French notes are appended to `anomalies` for what was
    inferred, for codes not recognised, for points more than 1 km outside the declared commune, points
    outside France, and latitude/longitude that look swapped.
    """
    out = places.copy()
    n = len(out)
    communes = reference.communes()
    codes = communes["code"].tolist()
    row_of = {code: i for i, code in enumerate(codes)}
    noms = communes["nom"].tolist()
    notes: list[list[str]] = [[] for _ in range(n)]

    insee_cells = [v.strip() for v in _text_column(out, "code_insee").tolist()]
    from_insee, outre_mer = _read_insee_codes(insee_cells, row_of, noms, notes)
    # A recognised code is rewritten in the standard's form; anything else stays as written.
    insee_cells = [_pad_insee(v) if current else v for v, current in zip(insee_cells, from_insee)]

    points = _points(out)
    point_row, point_km = _point_communes(points)
    from_point = [codes[r] if r >= 0 else "" for r in point_row]

    postcodes = [_clean_postcode(v) for v in _text_column(out, "code_postal").tolist()]
    cleaned = {v: _clean_commune_name(v) for v in set(_text_column(out, "commune").tolist())}
    names = [cleaned[v] for v in _text_column(out, "commune").tolist()]
    # Postcode evidence only matters where the INSEE code gave nothing; each pair is looked up once.
    pairs = {(cp, name) for cp, name, ins in zip(postcodes, names, from_insee) if not ins}
    by_pair = {pair: _lookup_name(*pair) or "" for pair in pairs}
    from_name = [by_pair.get(pair, "") for pair in zip(postcodes, names)]
    by_cp = _postcode_tables()[2]
    from_cp = [
        next(iter(by_cp[cp])) if not ins and len(by_cp.get(cp, ())) == 1 else ""
        for cp, ins in zip(postcodes, from_insee)
    ]

    # The commune the row declares: INSEE code, else postcode and name, else postcode alone.
    declared = [
        "" if com else (ins or nam or cp) for ins, nam, cp, com in zip(from_insee, from_name, from_cp, outre_mer)
    ]
    has_point = pd.notna(points)
    check = np.array(
        [i for i in range(n) if has_point[i] and declared[i] and declared[i] != from_point[i]], dtype=int
    )
    swapped = np.zeros(n, dtype=bool)
    off_km = np.full(n, np.nan)
    if len(check):
        shapes = communes.geometry.to_numpy()[[row_of[declared[i]] for i in check]]
        swapped[check] = _swapped_inside(points[check], shapes)
        off_km[check] = _distance_km(points[check], shapes)

    found, evidence = [], []
    for i in range(n):
        # Postcode and name agreeing on a commune far from the point: the point is the likelier error.
        point_ok = from_point[i] and not (from_name[i] and off_km[i] > DESACCORD_KM)
        candidates = (
            (from_insee[i], "du code INSEE"),
            (from_point[i] if point_ok else "", "de la position du lieu"),
            (from_name[i], "du code postal et du nom de la commune"),
            (from_cp[i], "du code postal (seule commune)"),
        )
        code, how = next(((c, h) for c, h in candidates if c), ("", ""))
        found.append(code)
        evidence.append(how)
        if has_point[i] and not outre_mer[i]:
            note = _coordinates_note(swapped[i], point_km[i], off_km[i])
            if note:
                notes[i].append(note)
        if not found[i]:
            notes[i].append(
                "commune introuvable : ni code INSEE reconnu, ni coordonnées dans une commune, "
                "ni code postal et nom de commune connus"
            )
        elif not insee_cells[i]:
            notes[i].append(f"code INSEE déduit {evidence[i]} ({found[i]})")
            insee_cells[i] = found[i]

    previous = _text_column(out, CODE_COMMUNE).tolist()
    out[CODE_COMMUNE] = [new or old for new, old in zip(found, previous)]
    out["code_insee"] = insee_cells
    out[ANOMALIES] = [_join_notes(old, new) for old, new in zip(_text_column(out, ANOMALIES).tolist(), notes)]
    return out


def _pad_insee(value: str) -> str:
    value = value.upper().removesuffix(".0")
    return value.zfill(5) if value.isdigit() and len(value) == 4 else value


def _read_insee_codes(cells: list[str], row_of: dict, noms: list[str], notes: list[list[str]]):
    """2026 commune of each declared INSEE code ("" if none) and whether it is an overseas collectivity."""
    passage = passage_2026()
    found, outre_mer = [], []
    for i, raw in enumerate(cells):
        code = _pad_insee(raw)
        current = passage.get(code, "") if _INSEE_PATTERN.match(code) else ""
        if current and code != raw:
            padded = len(raw.removesuffix(".0")) == 4
            notes[i].append(
                f"code INSEE complété par un zéro initial ({code})" if padded
                else f"code INSEE réécrit au format du standard ({code})"
            )
        if raw and not current:
            notes[i].append(f"code INSEE non reconnu ({raw})")
        elif current and current not in row_of:
            notes[i].append(
                f"commune d'outre-mer sans géométrie de référence ({current}) : "
                "le lieu n'entre dans aucun territoire du diagnostic"
            )
        elif current and current != code:
            notes[i].append(f"code INSEE {code} rattaché à la commune 2026 {noms[row_of[current]]} ({current})")
        found.append(current)
        outre_mer.append(bool(current) and current not in row_of)
    return found, outre_mer


def _coordinates_note(swapped: bool, nearest_km: float, off_declared_km: float) -> str:
    if swapped:
        return "latitude et longitude probablement inversées (échangées, elles tombent dans la commune déclarée)"
    if nearest_km > HORS_FRANCE_KM:
        return (
            "coordonnées hors de France métropolitaine et des DROM "
            f"(à {_km(nearest_km)} de la commune la plus proche)"
        )
    if nearest_km > TOLERANCE_KM:
        return f"coordonnées en dehors de toute commune (à {_km(nearest_km)} de la plus proche)"
    if off_declared_km > TOLERANCE_KM:
        return f"coordonnées hors de la commune déclarée ({_km(off_declared_km)})"
    return ""


def _join_notes(existing: str, new: list[str]) -> str:
    """Append notes with "; ", skipping any already present (running twice adds nothing)."""
    parts = [p for p in existing.split("; ") if p]
    parts += [note for note in new if note not in parts]
    return "; ".join(parts)
