"""Duplicate places: candidate pairs with readable reasons, and merging them into one place per group.

Pure functions on canonical places frames. Places are compared only within their commune (blocking), so a
national frame of 20,000 places takes seconds. A pair is a duplicate when the places share an upstream
network id (France Services, Aidants Connect, conseiller numérique), or a SIRET at the same address, or when
a weighted score of name, address and distance similarities reaches the threshold (the rule of ANCT's
mednum-cli, made accent- and abbreviation-tolerant). Two different France Services or Aidants Connect ids
are never the same place. The output is meant to be shown to people (reasons in French).
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations, product

import geopandas as gpd
import numpy as np
import pandas as pd

from .fields import (
    ANOMALIES,
    CODE_COMMUNE,
    LIST_FIELDS,
    ORIGINE,
    PIVOT_INCONNU,
    POSITION_APPROX,
    field_names,
    split_list,
    to_places_frame,
)

POIDS = {"nom": 0.5, "adresse": 0.3, "distance": 0.2}
# Below this name similarity two places are never merged on the score alone (same building, other service).
NOM_MIN = 0.5
# Name and address this close: a large distance is a geocoding disagreement, not another place.
TEXTE_SUR = 0.9
SIRET_ADRESSE_MIN = 0.8  # same SIRET and addresses at least this close: the same establishment
DISTANCE_PLEINE_M = 30.0  # closer than this, the distance signal is full

COLONNES_PAIRES = ["index_a", "index_b", "score", "score_nom", "score_adresse", "distance_m", "raisons"]
COLONNES_GROUPES = ["groupe", "index", "id", "nom", "origine", "representant"]

_STOP = frozenset("a au aux d de des du en et l la le les par pour sous sur un une".split())
_ABBREVIATIONS = {
    "st": "saint", "ste": "sainte", "r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard",
    "bld": "boulevard", "boul": "boulevard", "pl": "place", "ch": "chemin", "chem": "chemin", "rte": "route",
    "all": "allee", "imp": "impasse", "sq": "square", "crs": "cours", "fg": "faubourg", "faub": "faubourg",
    "gal": "general", "gen": "general", "mal": "marechal", "pdt": "president", "prom": "promenade",
    "esp": "esplanade", "res": "residence", "lot": "lotissement", "qu": "quai", "hdv": "hotel ville",
}
_NUMBER_SUFFIXES = frozenset({"bis", "ter", "quater", "b", "t"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_UPSTREAM = (
    re.compile(r"(?:^|[-|])(france-services|aidants-connect|conseiller-numerique)-([0-9a-f]{24}|\d+)(?=$|[-|])"),
    re.compile(r"(?:^|[-|])(\d+)-mediation-numerique-(france-services|aidants-connect|conseiller-numerique)(?=$|[-|])"),
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_BARE_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")  # conseiller numérique permanences (CNFS 2022 file)
# Networks whose ids each stand for an entity they count separately (a France Services label: fixed site,
# antenna or bus; an Aidants Connect structure): two different ids of these are never the same place.
# Conseiller numérique permanences are recorded per adviser, so two of them can be one place.
RESEAUX_DISTINCTS = ("france-services", "aidants-connect")


@lru_cache(maxsize=1)
def _combining() -> re.Pattern:
    """Every combining mark of the Basic Multilingual Plane, as one character class: removing them with a
    regular expression runs in C (character by character in Python it was a third of the duplicate
    search). Built at first use, not at import: every command imports this module."""
    return re.compile("[" + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.combining(chr(c))) + "]")


def normaliser_texte(text: str) -> str:
    """Lowercase, accents removed, punctuation → spaces ("Médiathèque L'Épi" → "mediatheque l epi")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    if decomposed.isascii():
        ascii_text = decomposed.lower()
    elif max(decomposed) <= "\uffff":
        ascii_text = _combining().sub("", decomposed).lower()
    else:  # marks beyond the BMP (very rare): the exact slow way
        ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NON_ALNUM.sub(" ", ascii_text).split())


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_ABBREVIATIONS.get(t, t) for t in normaliser_texte(text).split())


def _trigrams(words) -> frozenset[str]:
    text = f" {' '.join(words)} "
    return frozenset(text[i : i + 3] for i in range(len(text) - 2))


def _dice(a: frozenset, b: frozenset) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _distinct_conflict(keys_a: frozenset[str], keys_b: frozenset[str]) -> bool:
    """Whether two sets of upstream ids hold different ids of a network that counts its entities apart."""
    for network in RESEAUX_DISTINCTS:
        a = {k for k in keys_a if k.startswith(network + ":")}
        b = {k for k in keys_b if k.startswith(network + ":")}
        if a and b and not a & b:
            return True
    return False


def identifiants_amont(place_id: str) -> frozenset[str]:
    """Network ids embedded in a place id by ANCT's feeds ("mediation-numerique-france-services-19" →
    {"france-services:19"}; merged ids joined by "|" give several)."""
    keys = set()
    for pattern in _UPSTREAM:
        for match in pattern.finditer(place_id or ""):
            a, b = match.groups()
            network, number = (a, b) if pattern is _UPSTREAM[0] else (b, a)
            keys.add(f"{network}:{number.lstrip('0') or '0'}")
    if _BARE_OBJECT_ID.match(place_id or ""):
        keys.add(f"conseiller-numerique:{place_id}")
    return frozenset(keys)


class _Features:
    """Per-place comparison features, computed once, and only for the places of `a_comparer` (those
    sharing their commune with another: most places of a national file are alone in theirs)."""

    def __init__(self, places: pd.DataFrame, bloc: np.ndarray, a_comparer: np.ndarray):
        self.bloc = bloc
        n = len(places)
        # Lists, not Arrow-backed columns: iterating those costs more than the features themselves.
        noms, communes = places["nom"].tolist(), places["commune"].tolist()
        adresses, ids = places["adresse"].tolist(), places["id"].tolist()
        self.noms: list = [None] * n
        self.adresses: list = [None] * n
        self.amont: list = [None] * n
        for i in a_comparer.tolist():
            self.noms[i] = _name_features(noms[i], communes[i])
            self.adresses[i] = _address_features(adresses[i])
            self.amont[i] = identifiants_amont(ids[i])
        pivots = places["pivot"].astype(str)
        self.pivot = pivots.where(pivots.str.fullmatch(r"[A-Za-z0-9]{9,14}") & (pivots != PIVOT_INCONNU), "").tolist()
        self.lat = np.radians(places["latitude"].to_numpy(dtype=float)).tolist()
        self.lon = np.radians(places["longitude"].to_numpy(dtype=float)).tolist()
        self.approx = places[POSITION_APPROX].tolist()


def _blocks(places: pd.DataFrame) -> np.ndarray:
    # The 2026 commune when known; else the declared INSEE code; else postcode + commune name.
    code = places[CODE_COMMUNE].where(places[CODE_COMMUNE] != "", places["code_insee"]).to_numpy(dtype=object)
    sans_code = np.flatnonzero(code == "")
    postaux, communes = places["code_postal"].to_numpy(dtype=object), places["commune"].to_numpy(dtype=object)
    for i in sans_code:
        cp, c = postaux[i], communes[i]
        code[i] = f"{cp}:{normaliser_texte(c)}" if cp and c else ""
    return code


# Two pictures of one territory share most names and addresses: each distinct one is analysed once.
@lru_cache(maxsize=1 << 16)
def _name_features(nom: str, commune: str) -> tuple[frozenset, frozenset]:
    words = [t for t in _tokens(nom) if t not in _STOP]
    # The commune's name inside a place's name says nothing about which place of that commune it is.
    town = {t for t in _tokens(commune) if not t.isdigit()}
    kept = [t for t in words if t not in town] or words
    return frozenset(kept), _trigrams(kept)


@lru_cache(maxsize=1 << 16)
def _address_features(adresse: str) -> tuple[frozenset, frozenset]:
    numbers, words = set(), []
    for token in _tokens(adresse):
        if token.isdigit():
            numbers.add(token.lstrip("0") or "0")
        elif token not in _STOP and token not in _NUMBER_SUFFIXES:
            words.append(token)
    return frozenset(numbers), _trigrams(words) if words else frozenset()


def _name_similarity(a: tuple[frozenset, frozenset], b: tuple[frozenset, frozenset]) -> float:
    (words_a, grams_a), (words_b, grams_b) = a, b
    score = _dice(grams_a, grams_b)
    small, large = sorted((words_a, words_b), key=len)
    if len(small) >= 2 and small <= large:  # "France services Flandres" within "Bus France services des Flandres"
        score = max(score, 0.9)
    return score


def _address_similarity(a: tuple[frozenset, frozenset], b: tuple[frozenset, frozenset]) -> float | None:
    (numbers_a, grams_a), (numbers_b, grams_b) = a, b
    if not grams_a or not grams_b:
        return None
    score = _dice(grams_a, grams_b)
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        score *= 0.5  # same street, other house number
    return score


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two points given in radians (NaN when one is missing)."""
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(h, 1.0)))


def _fr(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",")


def _metres(d: float) -> str:
    return f"{round(d):d} m" if d < 1000 else f"{_fr(d / 1000, 1)} km"


def candidats_doublons(
    places: pd.DataFrame, seuil: float = 0.8, distance_max_m: float = 200.0, groupes: Sequence | None = None
) -> pd.DataFrame:
    """Pairs of places of the same commune that are probably the same place.

    Parameters
    ----------
    places : canonical places frame (its index labels identify the places in the result).
    seuil : minimum score (0–1) of the weighted name / address / distance similarity.
    distance_max_m : at this distance or more the distance signal is nil; it is full under 30 m. Ignored
        when a position is approximate (commune point) or when name and address both agree closely.
    groupes : one label per place; when given, only places of different groups are compared (matching
        two files with each other needs no pair inside either file).

    Returns
    -------
    DataFrame with index_a, index_b (index labels, a before b), score, score_nom, score_adresse (NaN when an
    address is missing), distance_m (NaN when a position is missing) and raisons (French, "; "-joined),
    sorted by decreasing score. Identity signals (same upstream id, same SIRET at the same address) give 1.
    """
    _check_index(places)
    if len(places) < 2:
        return pd.DataFrame(columns=COLONNES_PAIRES)
    labels = places.index.to_numpy()
    canonique = to_places_frame(places)
    bloc = _blocks(canonique)
    blocks = pd.Series(np.arange(len(places))).groupby(bloc).agg(list)
    blocks = blocks[(blocks.index != "") & (blocks.str.len() >= 2)]
    a_comparer = np.array(sorted(i for members in blocks for i in members), dtype=int)
    f = _Features(canonique, bloc, a_comparer)
    groupe = None if groupes is None else list(groupes)
    rows = []
    for members in blocks:
        for i, j in _pairs_to_compare(members, groupe):
            pair = _compare(f, i, j, seuil, distance_max_m)
            if pair is not None:
                rows.append((i, j, *pair))
    pairs = pd.DataFrame(rows, columns=COLONNES_PAIRES)
    pairs["index_a"] = labels[pairs["index_a"].to_numpy(dtype=int)]
    pairs["index_b"] = labels[pairs["index_b"].to_numpy(dtype=int)]
    return pairs.sort_values(["score", "index_a", "index_b"], ascending=[False, True, True], ignore_index=True)


def _pairs_to_compare(members: list[int], groupe: list | None):
    if groupe is None:
        return combinations(members, 2)
    par_groupe: dict = {}
    for i in members:
        par_groupe.setdefault(groupe[i], []).append(i)
    # Members are in frame order, so every pair comes out as (smaller, larger) like `combinations`.
    return (
        (min(i, j), max(i, j))
        for ga, gb in combinations(list(par_groupe), 2)
        for i, j in product(par_groupe[ga], par_groupe[gb])
    )


def vider_cache() -> None:
    """Forget the analysed names and addresses (benchmarks time a first comparison with it)."""
    for fonction in (_tokens, _name_features, _address_features):
        fonction.cache_clear()


def _check_index(places: pd.DataFrame) -> None:
    if not places.index.is_unique:
        raise ValueError(
            "Les lieux doivent avoir un index sans doublon (par exemple après reset_index) pour être comparés."
        )


def _compare(f: _Features, i: int, j: int, seuil: float, distance_max_m: float):
    """(score, score_nom, score_adresse, distance_m, raisons) of a duplicate pair, or None."""
    if (f.amont[i] or f.amont[j]) and _distinct_conflict(f.amont[i], f.amont[j]):
        return None
    shared = f.amont[i] & f.amont[j]
    same_pivot = bool(f.pivot[i]) and f.pivot[i] == f.pivot[j]
    nom = _name_similarity(f.noms[i], f.noms[j])
    if nom < NOM_MIN and not shared and not same_pivot:
        return None  # most pairs of a commune: settled without looking further
    adresse = _address_similarity(f.adresses[i], f.adresses[j])
    distance = _distance_m(f.lat[i], f.lon[i], f.lat[j], f.lon[j])
    raisons = []
    if shared:
        raisons.append("même identifiant d'origine (" + ", ".join(sorted(shared)) + ")")
    close = not math.isnan(distance) and distance <= distance_max_m and not (f.approx[i] or f.approx[j])
    # One SIRET often covers several sites of a body (a council, an association): it needs the same spot.
    if same_pivot and ((adresse or 0) >= SIRET_ADRESSE_MIN or close or (adresse is None and nom >= SIRET_ADRESSE_MIN)):
        raisons.append(f"même SIRET ({f.pivot[i]})")

    signals = {"nom": nom}
    if adresse is not None:
        signals["adresse"] = adresse
    text_agrees = nom >= TEXTE_SUR and (adresse or 0) >= TEXTE_SUR
    if math.isnan(distance):
        distance_note = "position manquante : distance non prise en compte"
    elif f.approx[i] or f.approx[j]:
        distance_note = "position approximative (commune) : distance non prise en compte"
    elif distance > distance_max_m and text_agrees:
        distance_note = f"mêmes nom et adresse malgré {_metres(distance)} d'écart (géocodages différents)"
    else:
        distance_note = ""
        span = max(distance_max_m - DISTANCE_PLEINE_M, 1e-9)
        signals["distance"] = min(1.0, max(0.0, (distance_max_m - distance) / span))
    score = sum(POIDS[k] * v for k, v in signals.items()) / sum(POIDS[k] for k in signals)
    if raisons:
        score = 1.0
    elif score < seuil or nom < NOM_MIN:
        return None
    raisons.append(f"similarité des noms {_fr(nom)}" if nom < 1 else "mêmes noms")
    if adresse is not None:
        raisons.append(f"similarité des adresses {_fr(adresse)}" if adresse < 1 else "mêmes adresses")
    else:
        raisons.append("adresse manquante")
    if not math.isnan(distance):
        raisons.append(f"à {_metres(distance)}")
    if distance_note:
        raisons.append(distance_note)
    return round(score, 3), round(nom, 3), (round(adresse, 3) if adresse is not None else np.nan), (
        round(distance, 1) if not math.isnan(distance) else np.nan
    ), "; ".join(raisons)


def _groups(keys: list[frozenset[str]], pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Union-find over the pairs, in their order; a link that would put two different ids of a
    `RESEAUX_DISTINCTS` network in one group is skipped (so the best pairs, listed first, win)."""
    n = len(keys)
    parent = list(range(n))
    group_keys = list(keys)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb and not _distinct_conflict(group_keys[ra], group_keys[rb]):
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            group_keys[low] = group_keys[low] | group_keys[high]
    members: dict[int, list[int]] = {}
    for x in range(n):
        members.setdefault(root(x), []).append(x)
    return [m for m in members.values() if len(m) > 1]


def _preference_order(rows: list[dict]) -> list[int]:
    """Positions in `rows`: most recent date_maj first, then the most complete row, then a precise position."""
    fields = [c for c in field_names() if c not in ("id", "latitude", "longitude")]

    def key(k: int):
        row = rows[k]
        date = row["date_maj"] if _ISO_DATE.fullmatch(row["date_maj"]) else ""
        filled = sum(1 for c in fields if row[c] != "")
        precise = not math.isnan(row["latitude"]) and not row[POSITION_APPROX]
        return (date, filled, precise, -k)

    return sorted(range(len(rows)), key=key, reverse=True)


def _merge(rows: list[dict], in_order: list[dict]) -> dict:
    """One place from a group's rows, the representative first (`in_order`: the same rows in input order)."""
    merged = dict(rows[0])
    for name in field_names():
        if name in ("latitude", "longitude"):
            continue
        values = [r[name] for r in rows]
        if name in LIST_FIELDS:
            merged[name] = "|".join(dict.fromkeys(v for value in values for v in split_list(value)))
        elif name == "pivot":
            merged[name] = next((v for v in values if v and v != PIVOT_INCONNU), values[0])
        else:
            merged[name] = next((v for v in values if v), "")
    # The best position is the most precise one in the group, whoever holds it.
    located = [r for r in rows if not math.isnan(r["latitude"]) and not math.isnan(r["longitude"])]
    best = next((r for r in located if not r[POSITION_APPROX]), located[0] if located else rows[0])
    merged["latitude"], merged["longitude"] = best["latitude"], best["longitude"]
    merged[POSITION_APPROX] = bool(best[POSITION_APPROX])
    merged[CODE_COMMUNE] = next((r[CODE_COMMUNE] for r in rows if r[CODE_COMMUNE]), "")
    merged[ORIGINE] = "|".join(dict.fromkeys(o for r in in_order for o in r[ORIGINE].split("|") if o))
    notes = [n for r in rows for n in r[ANOMALIES].split("; ") if n]
    fiches = ", ".join(f"« {r['id']} » ({r[ORIGINE]})" for r in in_order)
    notes.append(f"doublons fusionnés : {len(rows)} fiches regroupées ({fiches})")
    if best is not rows[0] and located:
        notes.append(f"position reprise de la fiche « {best['id']} » ({best[ORIGINE]})")
    merged[ANOMALIES] = "; ".join(dict.fromkeys(notes))
    return merged


def fusionner_doublons(places: pd.DataFrame, paires: pd.DataFrame) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Merge each group of duplicates (connected pairs) into one place.

    Pairs are linked best score first; a link that would join two different France Services or Aidants
    Connect ids is skipped (see `RESEAUX_DISTINCTS`). The representative is the most recently updated row,
    then the most complete, then the best placed. List fields are the union of the group's values (a place
    both CNFS and France Services keeps both dispositifs); empty fields are filled from the other rows; the
    position is the most precise one; `origine` lists every origin in input order ("CNFS 2022|France
    Services 2023") and `anomalies` the merged ids.

    Returns
    -------
    (places_dedup, groupes): the canonical frame with one row per group, in the order of the input (a
    group where its first row was); and one row per merged input row: groupe, index (input label), id, nom,
    origine, representant (bool).
    """
    _check_index(places)
    frame = to_places_frame(places).drop(columns="geometry")
    labels = places.index.to_numpy()
    position = {label: k for k, label in enumerate(labels)}
    if "score" in paires:
        paires = paires.sort_values("score", ascending=False, kind="stable")
    links = [(position[a], position[b]) for a, b in zip(paires["index_a"], paires["index_b"])]
    groups = sorted(_groups([identifiants_amont(i) for i in frame["id"]], links))
    involved = sorted(m for members in groups for m in members)
    record = dict(zip(involved, frame.iloc[involved].to_dict("records")))
    merged_rows: dict[int, dict] = {}
    listing = []
    for number, members in enumerate(groups, start=1):
        rows = [record[m] for m in members]
        order = _preference_order(rows)
        merged_rows[members[0]] = _merge([rows[k] for k in order], rows)
        for k, member in enumerate(members):
            listing.append((number, labels[member], rows[k]["id"], rows[k]["nom"], rows[k][ORIGINE], k == order[0]))
    absorbed = {m for members in groups for m in members[1:]}
    keep = [k for k in range(len(frame)) if k not in absorbed]
    out = frame.iloc[keep].reset_index(drop=True)
    replaced = [i for i, k in enumerate(keep) if k in merged_rows]
    if replaced:
        updates = pd.DataFrame([merged_rows[keep[i]] for i in replaced], index=replaced)[out.columns]
        out = pd.concat([out.drop(index=replaced), updates]).sort_index()
    return to_places_frame(out), pd.DataFrame(listing, columns=COLONNES_GROUPES)
