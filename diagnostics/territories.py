"""Territories of the diagnostic (France, régions, départements, EPCI, communes): resolution from what a
user types, search, hierarchy, peers, outlines, projected CRS and neighbour buffers.

Everything is derived from the 2026 reference geography in `reference`; the territory tables and the
search index are built once and cached on disk (`cache_reference`), so resolving or searching a
territory imports neither geopandas nor shapely: those are imported by the geometry functions only.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import cache_reference, perimetre_code, reference

if TYPE_CHECKING:
    import geopandas as gpd

NIVEAUX = ("france", "region", "departement", "epci", "commune")
_NIVEAU_LIBELLES = {
    "france": "France",
    "region": "Région",
    "departement": "Département",
    "epci": "EPCI",
    "commune": "Commune",
}
_PREFIXES = {"france": "france", "region": "reg", "departement": "dep", "epci": "epci", "commune": "commune"}
# Levels added later, kept out of NIVEAUX so that code iterating the five administrative levels is unchanged.
NIVEAUX_AJOUTES = ("arrondissement", "perimetre")
_NIVEAU_LIBELLES.update({"arrondissement": "Arrondissement", "perimetre": "Périmètre personnalisé"})
_PREFIXES.update({"arrondissement": "arr", "perimetre": "perimetre"})

# Overseas collectivities listed in the COG but absent from the reference geometry.
_COLLECTIVITES_SANS_GEOMETRIE = {
    "975": "Saint-Pierre-et-Miquelon",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "984": "Terres australes et antarctiques françaises",
    "986": "Wallis-et-Futuna",
    "987": "Polynésie française",
    "988": "Nouvelle-Calédonie",
}

# EPSG codes of the local UTM zones the reference build used for the DROM; Lambert-93 elsewhere.
_CRS_DROM = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}
LAMBERT_93 = 2154

_AIDE_IDENTIFIANT = (
    "Écrivez un nom (« Brest », « Finistère ») ou un identifiant : "
    "france, reg:53, dep:29, epci:242900314, commune:29019."
)


class TerritoireInconnu(ValueError):
    """What the user typed names no territory of the reference geography (French message)."""


@dataclass(frozen=True)
class Territoire:
    id: str  # "dep:29"
    niveau: str  # one of NIVEAUX
    code: str  # "29"; "" for France
    nom: str
    population: int  # sum of the communes' population municipale
    codes_communes: tuple[str, ...] = field(repr=False)  # 2026 INSEE codes, sorted
    parents: tuple[str, ...] = ()  # ids, nearest first

    @property
    def niveau_libelle(self) -> str:
        return _NIVEAU_LIBELLES[self.niveau]

    @property
    def libelle(self) -> str:
        """Label shown to users, e.g. « Finistère (29) », « Brest (29019) », « Bretagne (région) »."""
        if self.niveau == "france":
            return "France"
        if self.niveau == "region":
            return f"{self.nom} (région)"
        if self.niveau == "epci":
            return f"{self.nom} (EPCI)"
        if self.niveau == "perimetre":
            return f"{self.nom} (périmètre)"
        return f"{self.nom} ({self.code})"

    def to_dict(self) -> dict:
        return {"id": self.id, "nom": self.nom, "niveau": self.niveau, "code": self.code, "population": self.population}


# ---------------------------------------------------------------------------------------------------
# Name normalisation (shared with communes.py)

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_TRAILING_ARTICLE = re.compile(r"^(.*?)\s*\((le|la|les|l')\)\s*$", re.IGNORECASE)


def normalize_name(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a place name, for tolerant comparison.

    "St-Malo", "Saint Malo" and "SAINT-MALO" give "saint malo"; INSEE's old "Havre (Le)" gives "le havre".
    """
    if not isinstance(text, str):
        return ""
    match = _TRAILING_ARTICLE.match(text.strip())
    if match:
        text = f"{match.group(2)} {match.group(1)}"
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


# ---------------------------------------------------------------------------------------------------
# Tables built once


@dataclass(frozen=True)
class _Tables:
    territoires: dict  # id -> Territoire
    epci_deps: dict  # epci code -> dep codes, most populated first


def _entrees(*fichiers: str) -> list[Path]:
    """Files a cached table depends on: these reference files and this module's own code."""
    return [reference.chemin(f) for f in fichiers] + [Path(__file__)]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return cache_reference.charger(
        "territoires",
        _entrees("communes.parquet", "regions.parquet", "departements.parquet", "epci.parquet", "arrondissements.parquet"),
        _construire_tables,
    )


def _construire_tables() -> _Tables:
    com = reference.communes()
    # Plain lists: iterating Arrow-backed string columns row by row is slow.
    rows = sorted(zip(
        com["code"].tolist(), com["nom"].tolist(), com["dep"].tolist(), com["reg"].tolist(),
        com["epci"].fillna("").tolist(), com["population"].astype(int).tolist(),
    ))
    members: dict[tuple[str, str], list[str]] = {}
    totals: dict[tuple[str, str], int] = {}
    epci_dep_pop: dict[str, dict[str, int]] = {}
    dep_reg: dict[str, str] = {}
    for code, _, dep, reg, epci, pop in rows:
        keys = [("france", ""), ("region", reg), ("departement", dep)] + ([("epci", epci)] if epci else [])
        for key in keys:
            members.setdefault(key, []).append(code)
            totals[key] = totals.get(key, 0) + pop
        if epci:
            per_dep = epci_dep_pop.setdefault(epci, {})
            per_dep[dep] = per_dep.get(dep, 0) + pop
        dep_reg[dep] = reg
    epci_deps = {
        epci: tuple(sorted(per_dep, key=lambda d: (-per_dep[d], d))) for epci, per_dep in epci_dep_pop.items()
    }
    names = {
        "france": {"": "France"},
        "region": dict(zip(reference.regions()["code"], reference.regions()["nom"])),
        "departement": dict(zip(reference.departements()["code"], reference.departements()["nom"])),
        "epci": dict(zip(reference.epci()["code"], reference.epci()["nom"])),
    }

    def parents_of(niveau: str, code: str) -> tuple[str, ...]:
        if niveau == "region":
            return ("france",)
        if niveau == "departement":
            return (f"reg:{dep_reg[code]}", "france")
        if niveau == "epci":
            deps = epci_deps[code]
            regs = dict.fromkeys(f"reg:{dep_reg[d]}" for d in deps)
            return (*(f"dep:{d}" for d in deps), *regs, "france")
        return ()

    territoires: dict[str, Territoire] = {}
    for (niveau, code), codes in members.items():
        ident = "france" if niveau == "france" else f"{_PREFIXES[niveau]}:{code}"
        nom = str(names[niveau].get(code, code))
        territoires[ident] = Territoire(ident, niveau, code, nom, totals[(niveau, code)], tuple(codes),
                                        parents_of(niveau, code))
    for code, nom, dep, reg, epci, pop in rows:
        parents = ((f"epci:{epci}",) if epci else ()) + (f"dep:{dep}", f"reg:{reg}", "france")
        territoires[f"commune:{code}"] = Territoire(f"commune:{code}", "commune", code, nom, pop, (code,), parents)
    territoires.update(_arrondissements())
    return _Tables(territoires, epci_deps)


@lru_cache(maxsize=1)
def passage_2026() -> dict[str, str]:
    """Any known commune code (current, old, délégué, associé, arrondissement) → its 2026 code.

    Takes the preferred row when a code appears twice; collectivités d'outre-mer map to themselves
    although they have no reference geometry.
    """
    return cache_reference.charger("passage", _entrees("communes_passage.parquet"), _construire_passage)


def _construire_passage() -> dict[str, str]:
    passage = reference.passage()
    preferred = passage[passage["prefere"]].drop_duplicates("code_source")
    return dict(zip(preferred["code_source"], preferred["code_2026"]))


def get(ident: str) -> Territoire:
    """The territory with this exact identifier ("dep:29"); `TerritoireInconnu` if there is none."""
    if isinstance(ident, str) and ident.startswith("perimetre:"):
        return _perimetre_depuis_id(ident)
    territoire = _tables().territoires.get(ident)
    if territoire is None:
        raise TerritoireInconnu(f"Territoire introuvable : « {ident} ». {_AIDE_IDENTIFIANT}")
    return territoire


# ---------------------------------------------------------------------------------------------------
# Resolution

_ID_PATTERN = re.compile(r"^(reg|region|dep|departement|epci|com|commune)\s*:\s*([0-9a-z]+)$")
_NIVEAU_OF_PREFIX = {
    "reg": "region", "region": "region", "dep": "departement", "departement": "departement",
    "epci": "epci", "com": "commune", "commune": "commune",
}


def _collectivite_sans_geometrie(code: str) -> str | None:
    return _COLLECTIVITES_SANS_GEOMETRIE.get(code[:3]) if len(code) >= 3 else None


def _refuser_collectivite(query: str, nom: str) -> TerritoireInconnu:
    return TerritoireInconnu(
        f"Territoire non couvert : « {query} » relève de {nom}, collectivité d'outre-mer sans géométrie de "
        "référence (comme Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna, "
        "la Polynésie française et la Nouvelle-Calédonie) ; choisissez un territoire de métropole ou d'un DROM."
    )


def _pad_code(niveau: str, code: str) -> str:
    code = code.upper()
    if niveau in ("region", "departement") and code.isdigit() and len(code) == 1:
        return code.zfill(2)
    if niveau == "commune" and code.isdigit() and len(code) == 4:
        return code.zfill(5)
    return code


def _resolve_id(query: str, niveau: str, code: str) -> Territoire:
    code = _pad_code(niveau, code)
    if niveau in ("departement", "commune"):
        nom = _collectivite_sans_geometrie(code)
        if nom:
            raise _refuser_collectivite(query, nom)
    if niveau == "commune":
        code = passage_2026().get(code, code)
    territoire = _tables().territoires.get(f"{_PREFIXES[niveau]}:{code}")
    if territoire is None:
        raise TerritoireInconnu(f"Territoire introuvable : « {query} ». {_AIDE_IDENTIFIANT}")
    return territoire


_LABEL = re.compile(r"^(.+?)\s*\(([^()]+)\)$")


def _from_label(text: str) -> Territoire | None:
    """The territory whose `libelle` is `text` ("Finistère (29)", "Brest Métropole (EPCI)"), if any."""
    match = _LABEL.match(text)
    if not match:
        return None
    name, tag = normalize_name(match.group(1)), normalize_name(match.group(2))
    for candidate in search(match.group(1), limit=50):
        if normalize_name(candidate.nom) == name and tag in (
            candidate.code.lower(), normalize_name(candidate.niveau_libelle), normalize_name(candidate.niveau)
        ):
            return candidate
    return None


def resolve(query: str) -> Territoire:
    """The territory named by `query`: an identifier ("dep:29", "commune:2A004", "epci:242900314",
    "france"), a bare code ("29", "29019"), or a name (best match of `search`).

    Old commune codes and municipal arrondissements resolve to their 2026 commune. Raises
    `TerritoireInconnu` (French message) when nothing matches or the territory has no reference geometry.
    """
    raw = query if isinstance(query, str) else ""
    text = raw.strip().lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if text == "france":
        return get("france")
    ajoute = _resolve_niveau_ajoute(raw.strip(), text)
    if ajoute is not None:
        return ajoute
    match = _ID_PATTERN.match(text)
    if match:
        return _resolve_id(raw.strip(), _NIVEAU_OF_PREFIX[match.group(1)], match.group(2))
    compact = text.replace(" ", "")
    if re.fullmatch(r"[0-9][0-9ab][0-9]{1,3}", compact):
        nom = _collectivite_sans_geometrie(compact.upper())
        if nom:
            raise _refuser_collectivite(raw.strip(), nom)
    labelled = _from_label(raw.strip())
    if labelled:
        return labelled
    found = search(raw, limit=1)
    if found:
        return found[0]
    cle = normalize_name(raw)
    for nom in _COLLECTIVITES_SANS_GEOMETRIE.values():
        if cle and cle == normalize_name(nom):
            raise _refuser_collectivite(raw.strip(), nom)
    raise TerritoireInconnu(f"Territoire introuvable : « {raw.strip()} ». {_AIDE_IDENTIFIANT}")


# ---------------------------------------------------------------------------------------------------
# Search

_EPCI_FORMS = [
    (re.compile(r"^communaute de communes\b"), "cc"),
    (re.compile(r"^communaute d agglomeration\b"), "ca"),
    (re.compile(r"^communaute urbaine\b"), "cu"),
]
_EPCI_HEAD = re.compile(r"^(cc|ca|cu|communaute de communes|communaute d agglomeration|communaute urbaine)"
                        r"( (du|de la|des|de l|d|de))? ")
_NIVEAU_RANG = {n: i for i, n in enumerate(NIVEAUX)}
# Ranked after communes in search results ("Brest" stays the commune); `children` lets them hold communes.
_NIVEAU_RANG.update({n: len(NIVEAUX) for n in NIVEAUX_AJOUTES})


@dataclass(frozen=True)
class _Index:
    keys: np.ndarray  # normalized names, in display order of equals (level, then population)
    spaced_keys: np.ndarray  # the same with a leading space, to spot matches at a word start
    key_ids: np.ndarray  # territory id of each key (an EPCI has two keys: full name and name without "CC du")
    first_key: dict  # id -> position of its first key
    by_code: dict  # lower-case code -> ids
    by_postcode: dict  # postcode -> commune ids


@lru_cache(maxsize=1)
def _index() -> _Index:
    return cache_reference.charger(
        "index_territoires",
        _entrees("communes.parquet", "regions.parquet", "departements.parquet", "epci.parquet"),
        _construire_index,
    )


def _construire_index() -> _Index:
    territoires = sorted(
        _tables().territoires.values(), key=lambda t: (_NIVEAU_RANG[t.niveau], -t.population, t.nom)
    )
    keys, key_ids, by_code = [], [], {}
    for t in territoires:
        name = normalize_name(t.nom)
        keys.append(name)
        key_ids.append(t.id)
        if t.niveau == "epci":
            # "pays de landivisiau" should match "CC du Pays de Landivisiau" exactly, not only as a substring.
            core = _EPCI_HEAD.sub("", name)
            if core and core != name:
                keys.append(core)
                key_ids.append(t.id)
        if t.code:
            by_code.setdefault(t.code.lower(), []).append(t.id)
    by_postcode: dict[str, list[str]] = {}
    com = reference.communes()
    for code, postcodes in zip(com["code"].tolist(), com["codes_postaux"].fillna("").tolist()):
        for cp in postcodes.split():
            by_postcode.setdefault(cp, []).append(f"commune:{code}")
    first_key: dict[str, int] = {}
    for position, ident in enumerate(key_ids):
        first_key.setdefault(ident, position)
    keys_array = np.array(keys)
    return _Index(keys_array, " " + keys_array, np.array(key_ids), first_key, by_code, by_postcode)


def _normalize_query(text: str) -> str:
    query = normalize_name(text)
    for pattern, short in _EPCI_FORMS:
        query = pattern.sub(short, query)
    return query


def _code_hits(index: _Index, compact: str) -> dict[str, int]:
    """Territories whose code (or a former code, or a postcode) is `compact`, with their match class."""
    hits: dict[str, int] = {}
    candidates = [compact]
    if compact.isdigit() and len(compact) in (1, 4):
        candidates.append(compact.zfill(len(compact) + 1))  # "1" → "01", "1053" → "01053"
    for code in candidates:
        for ident in index.by_code.get(code, ()):
            hits.setdefault(ident, 1 if ident.startswith("reg:") else 0)  # "53" is more often the département
        if len(code) == 5:
            current = passage_2026().get(code.upper())
            if current and f"commune:{current}" in index.first_key:
                # A former code or a postcode: both plausible readings of five digits, ranked alike.
                hits.setdefault(f"commune:{current}", 2)
            for ident in index.by_postcode.get(code, ()):
                hits.setdefault(ident, 2)
    return hits


def search(text: str, limit: int = 20) -> list[Territoire]:
    """Territories matching `text` by name or code, best first.

    Accent-, case- and punctuation-insensitive ("st-malo" finds Saint-Malo). Order: exact name or code,
    then names starting with the text, then the text at a word start, then anywhere, then all words
    present in any order; equals are ordered by level (région before commune) then population.
    """
    index = _index()
    query = _normalize_query(text)
    if not query or limit <= 0:
        return []
    first = np.strings.find(index.keys, query)
    found = np.flatnonzero(first >= 0)
    first = first[found]
    match_class = np.full(len(found), 3)
    inner = first > 0
    at_word = np.strings.find(index.spaced_keys[found[inner]], " " + query) >= 0
    match_class[np.flatnonzero(inner)[at_word]] = 2
    prefix = np.flatnonzero(first == 0)
    match_class[prefix] = 1
    match_class[prefix[index.keys[found[prefix]] == query]] = 0
    positions, classes = [found], [match_class]
    words = query.split()
    if len(words) > 1 and len(found) < limit:
        # Words in any order: filter by the longest word first, the rest on what is left.
        words.sort(key=len, reverse=True)
        loose = np.flatnonzero(np.strings.find(index.keys, words[0]) >= 0)
        for word in words[1:]:
            loose = loose[np.strings.find(index.keys[loose], word) >= 0]
        positions.append(loose)
        classes.append(np.full(len(loose), 4))
    code_hits = _code_hits(index, query.replace(" ", ""))
    positions.append(np.array([index.first_key[i] for i in code_hits], dtype=int))
    classes.append(np.array(list(code_hits.values()), dtype=int))
    positions, classes = np.concatenate(positions), np.concatenate(classes)
    # Keys are stored in the order of equals, so the key position breaks ties within a class.
    order = np.lexsort((positions, classes))
    territoires = _tables().territoires
    result: dict[str, Territoire] = {}
    for position in positions[order]:
        ident = str(index.key_ids[position])
        if ident not in result:
            result[ident] = territoires[ident]
            if len(result) == limit:
                break
    return list(result.values())


# ---------------------------------------------------------------------------------------------------
# Hierarchy


def children(t: Territoire, niveau: str) -> list[Territoire]:
    """Units of level `niveau` inside `t`, in code order (an EPCI is a child of every département it touches)."""
    # An arrondissement or a perimeter holds communes and touches EPCI, départements, régions.
    touche = t.niveau in NIVEAUX_AJOUTES and niveau in NIVEAUX[1:]
    if not touche and (niveau not in NIVEAUX + NIVEAUX_AJOUTES[:1] or _NIVEAU_RANG[niveau] <= _NIVEAU_RANG[t.niveau]):
        raise ValueError(f"Niveau « {niveau} » impossible sous « {t.niveau} ».")
    territoires = _tables().territoires
    if niveau == "arrondissement":
        return _arrondissements_de(t)
    if niveau == "commune":
        return [territoires[f"commune:{c}"] for c in t.codes_communes]
    prefix = _PREFIXES[niveau] + ":"
    found = {
        parent
        for code in t.codes_communes
        for parent in territoires[f"commune:{code}"].parents
        if parent.startswith(prefix)
    }
    return sorted((territoires[i] for i in found), key=lambda u: u.code)


def peers(t: Territoire) -> list[Territoire]:
    """Units of the same level sharing `t`'s nearest parent, `t` included (an EPCI's main département)."""
    if t.niveau == "france":
        return [t]
    if t.niveau == "perimetre":
        return [get(p) for p in contenu_perimetre(t).pairs]
    parent = get(t.parents[0])
    return children(parent, t.niveau)


def communes_frame(t: Territoire) -> gpd.GeoDataFrame:
    """The territory's rows of `reference.communes()` (all columns, code order)."""
    communes = reference.communes()
    if t.niveau == "france":
        return communes.copy()
    if t.niveau in ("region", "departement"):
        column = "reg" if t.niveau == "region" else "dep"
        return communes[communes[column] == t.code].copy()
    if t.niveau == "epci":
        return communes[communes["epci"] == t.code].copy()
    if t.niveau in NIVEAUX_AJOUTES:
        return communes[communes["code"].isin(t.codes_communes)].copy()
    return communes[communes["code"] == t.code].copy()


# ---------------------------------------------------------------------------------------------------
# Geometry


def geometry(t: Territoire):
    """The territory's outline (shapely geometry, EPSG:4326)."""
    return _geometry(t.id)


@lru_cache(maxsize=256)
def _geometry(ident: str):
    import shapely

    t = get(ident)
    if t.niveau == "france":
        return shapely.union_all(reference.regions().geometry.to_numpy())
    if t.niveau == "perimetre":
        return _union_communes(t.codes_communes)
    layer = {
        "arrondissement": reference.arrondissements,
        "region": reference.regions,
        "departement": reference.departements,
        "epci": reference.epci,
        "commune": reference.communes,
    }[t.niveau]()
    rows = layer.geometry[layer["code"] == t.code]
    return rows.iloc[0]


def crs_for_departement(dep_code: str) -> int:
    """EPSG code for metric work in a département: local UTM for the DROM, Lambert-93 elsewhere."""
    return _CRS_DROM.get(str(dep_code), LAMBERT_93)


def projected_crs(t: Territoire) -> int:
    """EPSG code for metric work on `t` (France as a whole gets Lambert-93: split by zone for DROM)."""
    if t.niveau == "france":
        return LAMBERT_93
    if t.niveau == "departement":
        return crs_for_departement(t.code)
    if t.niveau == "epci":
        return crs_for_departement(_tables().epci_deps[t.code][0])
    if t.niveau == "perimetre":
        return crs_for_departement(t.parents[0].split(":", 1)[1])  # its most populated département
    # Régions and communes lie in one zone: any commune's département tells which.
    return crs_for_departement(_commune_dep(t.codes_communes[0]))


def _commune_dep(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


@lru_cache(maxsize=8)
def _transformers(epsg: int):
    from pyproj import Transformer

    return (
        Transformer.from_crs(4326, epsg, always_xy=True),
        Transformer.from_crs(epsg, 4326, always_xy=True),
    )


def _project(geom, epsg: int, inverse: bool = False):
    import shapely

    transformer = _transformers(epsg)[1 if inverse else 0]
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


@lru_cache(maxsize=64)
def _projected_geometry(ident: str):
    t = get(ident)
    return _project(geometry(t), projected_crs(t))


def buffer_geometry(t: Territoire, km: float = 30):
    """`t`'s outline grown by `km` kilometres (computed in its projected CRS), in EPSG:4326."""
    import shapely

    if t.niveau == "france":
        # Regions lie in different zones; grow each one in its own CRS.
        return shapely.union_all([buffer_geometry(r, km) for r in children(t, "region")])
    if t.niveau == "perimetre" and len(zones_perimetre(t)) > 1:
        return shapely.union_all([buffer_geometry(part, km) for part in zones_perimetre(t).values()])
    epsg = projected_crs(t)
    distance = km * 1000.0
    # Simplifying by 1 % of the distance first makes GEOS's buffer several times faster on
    # jagged coastlines, for an error far below what a km-scale buffer means.
    outline = shapely.simplify(_projected_geometry(t.id), distance / 100)
    return _project(shapely.buffer(outline, distance), epsg, inverse=True)


def buffer_communes(t: Territoire, km: float = 30) -> list[str]:
    """Codes (sorted) of the communes outside `t` whose polygon lies within `km` kilometres of its outline.

    Cached on disk per territory and distance (`cache_reference`): the polygons are read and buffered
    once, not at every command on the same territory.
    """
    if t.niveau == "france":
        return []
    cle = hashlib.blake2b(f"{t.id}\0{float(km)!r}".encode(), digest_size=8).hexdigest()
    return cache_reference.charger(
        f"voisinage-{cle}",
        _entrees("communes.parquet", "regions.parquet", "departements.parquet", "epci.parquet", "arrondissements.parquet"),
        lambda: _calculer_buffer_communes(t, km),
    )


def _calculer_buffer_communes(t: Territoire, km: float) -> list[str]:
    import shapely
    from shapely.geometry import box

    if t.niveau == "perimetre" and len(zones_perimetre(t)) > 1:
        # Mainland and overseas communes: each zone's neighbours are found in that zone's CRS.
        return sorted({c for part in zones_perimetre(t).values() for c in buffer_communes(part, km)} - set(t.codes_communes))
    epsg = projected_crs(t)
    outline = _projected_geometry(t.id)
    distance = km * 1000.0
    xmin, ymin, xmax, ymax = outline.bounds
    search_box = _transformers(epsg)[1].transform_bounds(
        xmin - distance, ymin - distance, xmax + distance, ymax + distance, densify_pts=21
    )
    communes = reference.communes()
    candidates = communes.sindex.query(box(*search_box), predicate="intersects")
    codes = communes["code"].to_numpy()
    candidates = candidates[~np.isin(codes[candidates], np.array(t.codes_communes))]
    if len(candidates) == 0:
        return []
    projected = _project(communes.geometry.to_numpy()[candidates], epsg)
    shapely.prepare(outline)
    near = shapely.dwithin(projected, outline, distance)
    return sorted(codes[candidates[near]].tolist())


# ---------------------------------------------------------------------------------------------------
# Arrondissements départementaux and user-defined perimeters


def _arrondissements() -> dict[str, Territoire]:
    """Arrondissement territories ("arr:291"), parents: their département, région, France."""
    communes = reference.communes()
    membres: dict[str, list[str]] = {}
    for code, arr in zip(communes["code"].tolist(), communes["arr"].fillna("").tolist()):
        if arr:
            membres.setdefault(arr, []).append(code)
    out = {}
    for row in reference.arrondissements().itertuples():
        if row.code in membres:
            ident = f"arr:{row.code}"
            out[ident] = Territoire(ident, "arrondissement", row.code, _nom_arrondissement(str(row.nom)), int(row.population),
                                    tuple(sorted(membres[row.code])), (f"dep:{row.dep}", f"reg:{row.reg}", "france"))
    return out


def _nom_arrondissement(chef_lieu: str) -> str:
    # The full designation, so that "Brest" still finds the commune first and "arrondissement de brest" this.
    elision = unicodedata.normalize("NFKD", chef_lieu[:1]).lower()[:1] in "aeiouyh"
    return f"Arrondissement d'{chef_lieu}" if elision else f"Arrondissement de {chef_lieu}"


def _arrondissements_de(t: Territoire) -> list[Territoire]:
    codes = set(t.codes_communes)
    found = [u for u in _tables().territoires.values() if u.niveau == "arrondissement" and codes & set(u.codes_communes)]
    return sorted(found, key=lambda u: u.code)


_ARR_PATTERN = re.compile(r"^(arr|arrondissement)\s*:\s*(9?[0-9][0-9ab][0-9])$")


def _resolve_niveau_ajoute(raw: str, text: str) -> Territoire | None:
    """"arr:291" or a perimeter identifier ("perimetre:<texte compact>"); None for any other query."""
    match = _ARR_PATTERN.match(text)
    if match:
        territoire = _tables().territoires.get(f"arr:{match.group(2).upper()}")
        if territoire is None:
            raise TerritoireInconnu(f"Arrondissement introuvable : « {raw} ». Exemple : arr:291 (Brest).")
        return territoire
    if text.startswith("perimetre:") and "=" not in raw:
        return _perimetre_depuis_id("perimetre:" + raw.split(":", 1)[1].strip())
    return None


def contenu_perimetre(t: Territoire) -> perimetre_code.Contenu:
    """Name, communes and chosen peers written in a perimeter's identifier."""
    return perimetre_code.decoder(t.id.split(":", 1)[1])


def perimetre(nom: str, codes, pairs=()) -> Territoire:
    """The perimeter territory made of the 2026 communes `codes` (all known), named `nom`.

    Parents: the départements then the régions it touches, most populated first, then France; its
    identifier carries the whole list (see `perimetre_code`), so it can be shared as text.
    """
    contenu = perimetre_code.Contenu(nom=nom, codes=tuple(sorted(set(codes))), pairs=tuple(pairs))
    return _perimetre(contenu, "perimetre:" + perimetre_code.encoder(contenu))


@lru_cache(maxsize=128)  # every page asks for the same perimeter several times per run
def _perimetre_depuis_id(ident: str) -> Territoire:
    try:
        contenu = perimetre_code.decoder(ident.split(":", 1)[1])
    except perimetre_code.CodeAbime as exc:
        raise TerritoireInconnu(str(exc)) from exc
    return _perimetre(contenu, ident)


def _perimetre(contenu: perimetre_code.Contenu, ident: str) -> Territoire:
    territoires = _tables().territoires
    inconnus = [c for c in contenu.codes if f"commune:{c}" not in territoires]
    if inconnus:
        raise TerritoireInconnu(
            f"Périmètre « {contenu.nom} » : {len(inconnus)} code(s) de commune inconnu(s) en 2026 "
            f"({', '.join(inconnus[:10])}{'…' if len(inconnus) > 10 else ''})."
        )
    communes = [territoires[f"commune:{c}"] for c in contenu.codes]
    pop_dep: dict[str, int] = {}
    pop_reg: dict[str, int] = {}
    for commune in communes:
        dep, reg = (p for p in commune.parents if p.startswith(("dep:", "reg:")))
        pop_dep[dep] = pop_dep.get(dep, 0) + commune.population
        pop_reg[reg] = pop_reg.get(reg, 0) + commune.population
    parents = (*sorted(pop_dep, key=lambda d: (-pop_dep[d], d)), *sorted(pop_reg, key=lambda r: (-pop_reg[r], r)), "france")
    code = perimetre_code.encoder(perimetre_code.Contenu("", contenu.codes))[-8:]  # short, stable: from the communes
    return Territoire(ident, "perimetre", code, contenu.nom, sum(c.population for c in communes), contenu.codes, parents)


def zones_perimetre(t: Territoire) -> dict[str, Territoire]:
    """A perimeter split by projection zone (key: EPSG code as text, with the zone's name after it).

    One entry for a perimeter within mainland France (or within one DROM); one per zone otherwise.
    """
    groupes: dict[int, list[str]] = {}
    for code in t.codes_communes:
        groupes.setdefault(crs_for_departement(_commune_dep(code)), []).append(code)
    if len(groupes) == 1:
        return {str(next(iter(groupes))): t}
    return {str(epsg): perimetre(t.nom, codes) for epsg, codes in groupes.items()}


@lru_cache(maxsize=64)
def _union_communes(codes: tuple[str, ...]):
    import shapely

    communes = reference.communes()
    return shapely.union_all(communes.geometry[communes["code"].isin(codes)].to_numpy())
