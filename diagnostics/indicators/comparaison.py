"""Per-commune vectors (places, nearest distance, E2SFCA) computed once, aggregated into the headline
figures of any unit by groupby, and benchmarks of a territory against its parents and peers.

The national vectors of a places frame are cached by a fingerprint of its content, in memory and on
disk, so every territory's benchmark after the first is a cheap lookup, also in a new process.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import cache_reference, reference
from ..standard.fields import CODE_COMMUNE
from .accessibilite import RAYON_KM as RAYON_ACCES_KM
from .accessibilite import Decroissance, accessibilite_e2sfca
from .densite import densite_par_groupe, lieux_par_commune, rapport
from .distances import communes_choisies, coordonnees, distance_plus_proche, mediane_ponderee_par_groupe, projeter_lieux

RAYON_KM = 10.0
SEUILS_KM: tuple[float, ...] = (5, 10, 15, 20)

# The modules whose code the national references depend on (part of their disk-cache key).
_MODULES_REFERENCES = ("comparaison.py", "distances.py", "accessibilite.py", "densite.py")

# Level → column of the per-commune vectors that names the unit.
CLE_NIVEAU = {"commune": "code", "epci": "epci", "departement": "dep", "region": "reg", "france": "france"}


# Figures that count communes, places or inhabitants.
ENTIERS = [
    "population",
    "nb_communes",
    "nb_lieux",
    "communes_avec_lieu",
    "zones_blanches_nb_communes",
    "zones_blanches_population",
    "population_zone_sans_lieu",
    "population_sans_acces",
]


def cle_seuil(seuil: float) -> str:
    """JSON key of a threshold: "5" for 5 km, "7.5" for 7.5 km."""
    return f"{float(seuil):g}"


def colonne_part(seuil: float) -> str:
    return f"part_population_a_moins_de_{cle_seuil(seuil)}_km"


def noms_figures(seuils_km: Sequence[float] = SEUILS_KM) -> list[str]:
    """Columns of `indicateurs_par_unite`, in display order (headline figures of a unit)."""
    return [
        "population",
        "nb_communes",
        "nb_lieux",
        "lieux_pour_10000_habitants",
        "communes_avec_lieu",
        "part_communes_avec_lieu",
        "part_population_commune_avec_lieu",
        "distance_moyenne_km",
        "distance_mediane_km",
        *[colonne_part(s) for s in seuils_km],
        "zones_blanches_nb_communes",
        "zones_blanches_population",
        "zones_blanches_part_population",
        "population_zone_sans_lieu",
        "accessibilite_moyenne",
        "accessibilite_mediane",
        "population_sans_acces",
    ]


def vecteurs_communes(
    lieux: gpd.GeoDataFrame,
    codes: Iterable[str] | None = None,
    *,
    rayon_acces_km: float = RAYON_ACCES_KM,
    decroissance: Decroissance | None = None,
    poids: pd.Series | None = None,
    lieux_xy: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-commune vectors indexed by code: nom, dep, reg, epci, population, nb_lieux (by
    code_commune_2026), distance_km (nearest located place, +inf if none in the zone) and acces_10000
    (E2SFCA, places per 10,000 inhabitants within `rayon_acces_km`).

    `codes` restricts the communes (default all). Every place of `lieux` counts, also those outside
    the communes: pass the neighbours within the buffer for exact figures near the border.
    """
    base = communes_choisies(codes)
    xy = projeter_lieux(lieux) if lieux_xy is None else lieux_xy
    out = base[["nom", "dep", "reg", "epci", "population"]].copy()
    out["nb_lieux"] = lieux_par_commune(lieux, base.index).to_numpy()
    out["distance_km"] = distance_plus_proche(base, xy).to_numpy()
    acces = accessibilite_e2sfca(lieux, rayon_km=rayon_acces_km, decroissance=decroissance, poids=poids, lieux_xy=xy)
    out["acces_10000"] = acces.reindex(out.index).to_numpy()
    return out


def indicateurs_par_unite(
    vecteurs: pd.DataFrame,
    cle: str | pd.Series,
    *,
    rayon_km: float = RAYON_KM,
    seuils_km: Sequence[float] = SEUILS_KM,
) -> pd.DataFrame:
    """Headline figures (see `noms_figures`) per unit, indexed by unit code, from per-commune vectors.

    `cle` is a column of `vecteurs` ("dep", "reg", "epci"), "code" (one unit per commune), "france"
    (one unit) or a Series giving each commune's unit. Communes with an empty unit are left out.
    Means and medians are population-weighted (see `distances.mediane_ponderee`); distances of
    communes whose zone has no place count as infinite (beyond every threshold, excluded from the mean).
    """
    if isinstance(cle, pd.Series):
        unites = cle.reindex(vecteurs.index).fillna("").astype(str).to_numpy()
    elif cle == "code":
        unites = vecteurs.index.astype(str).to_numpy()
    elif cle == "france":
        unites = np.full(len(vecteurs), "france", dtype=object)
    else:
        unites = vecteurs[cle].fillna("").astype(str).to_numpy()
    garder = unites != ""
    g, noms = pd.factorize(unites[garder], sort=True)
    n = len(noms)
    pop = vecteurs["population"].to_numpy(dtype=float)[garder]
    d = vecteurs["distance_km"].to_numpy(dtype=float)[garder]
    a = vecteurs["acces_10000"].to_numpy(dtype=float)[garder]

    def somme(poids) -> np.ndarray:
        return np.bincount(g, weights=poids, minlength=n)

    out = densite_par_groupe(pop, vecteurs["nb_lieux"].to_numpy()[garder], g, n)
    total = out["population"]
    fini = np.isfinite(d)
    pop_fini = somme(pop * fini)
    out["distance_moyenne_km"] = rapport(somme(pop * np.where(fini, d, 0.0)), pop_fini)
    out["distance_mediane_km"] = mediane_ponderee_par_groupe(d, pop, g, n)
    for s in seuils_km:
        out[colonne_part(s)] = rapport(somme(pop * (d <= s)), total)
    blanche = d > rayon_km
    out["zones_blanches_nb_communes"] = somme(blanche.astype(float))
    out["zones_blanches_population"] = somme(pop * blanche)
    out["zones_blanches_part_population"] = rapport(out["zones_blanches_population"], total)
    out["population_zone_sans_lieu"] = total - pop_fini
    out["accessibilite_moyenne"] = rapport(somme(pop * a), total)
    out["accessibilite_mediane"] = mediane_ponderee_par_groupe(a, pop, g, n)
    out["population_sans_acces"] = somme(pop * (a <= 0))
    for nom in ENTIERS:
        out[nom] = np.round(out[nom]).astype("int64")
    colonnes = noms_figures(seuils_km)
    return pd.DataFrame({nom: out[nom] for nom in colonnes}, index=pd.Index(noms, name="code"), columns=colonnes)


def indicateurs(
    vecteurs: pd.DataFrame, *, rayon_km: float = RAYON_KM, seuils_km: Sequence[float] = SEUILS_KM
) -> pd.Series:
    """Headline figures of the set of communes in `vecteurs`, taken as one unit."""
    return indicateurs_par_unite(vecteurs, "france", rayon_km=rayon_km, seuils_km=seuils_km).iloc[0]


def decimales(nom: str) -> int:
    """Decimals a figure is published with: 6 for shares, 4 for distances, rates and medians."""
    return 6 if nom.startswith(("part_", "zones_blanches_part")) else 4


def figures_json(ligne: pd.Series, seuils_km: Sequence[float] = SEUILS_KM) -> dict:
    """One unit's figures as plain JSON values: shares within thresholds nested under
    `part_population_a_moins_de` keyed "5", "10"…, counts as int (a peers' median may be a half),
    NaN/inf as None, ratios rounded to 6 decimals and other figures to 4."""
    valeurs = {nom: _nombre(ligne.get(nom), decimales(nom)) for nom in noms_figures(seuils_km)}
    for nom in ENTIERS:
        if valeurs[nom] is not None and float(valeurs[nom]).is_integer():
            valeurs[nom] = int(valeurs[nom])
    parts = {cle_seuil(s): valeurs.pop(colonne_part(s)) for s in seuils_km}
    return {**valeurs, "part_population_a_moins_de": parts}


def _nombre(valeur, chiffres: int):
    if valeur is None or pd.isna(valeur):
        return None
    if isinstance(valeur, (int, np.integer)):
        return int(valeur)
    valeur = float(valeur)
    return round(valeur, chiffres) if np.isfinite(valeur) else None


@dataclass(frozen=True)
class References:
    """National per-commune vectors of one places frame and its figures for every level."""

    vecteurs: pd.DataFrame
    par_niveau: dict[str, pd.DataFrame]
    rayon_km: float
    seuils_km: tuple[float, ...]


_CACHE: OrderedDict[tuple, References] = OrderedDict()
_CACHE_TAILLE = 4
_VERROU = threading.Lock()  # Streamlit serves sessions from several threads


def empreinte(lieux: gpd.GeoDataFrame, poids: pd.Series | None = None) -> str:
    """Fingerprint of what the indicators read from a places frame (positions, commune codes, weights)."""
    h = hashlib.blake2b(digest_size=16)
    for axe in coordonnees(lieux):
        h.update(np.ascontiguousarray(axe).tobytes())
    h.update("\x1f".join(lieux[CODE_COMMUNE].astype(str).tolist()).encode())
    if poids is not None:
        h.update(np.ascontiguousarray(pd.to_numeric(poids, errors="coerce").to_numpy(dtype=float)).tobytes())
    return h.hexdigest()


def references(
    lieux_nationaux: gpd.GeoDataFrame,
    *,
    rayon_km: float = RAYON_KM,
    seuils_km: Sequence[float] = SEUILS_KM,
    rayon_acces_km: float = RAYON_ACCES_KM,
    decroissance: Decroissance | None = None,
    poids: pd.Series | None = None,
) -> References:
    """National vectors and per-level figures (commune, epci, departement, region, france) of a
    national places frame; cached on the frame's fingerprint and the parameters (a decay function
    is part of the key by identity: pass the same object to reuse the cache)."""
    seuils = tuple(float(s) for s in seuils_km)
    cle = (empreinte(lieux_nationaux, poids), float(rayon_km), seuils, float(rayon_acces_km), decroissance)
    with _VERROU:
        if cle in _CACHE:
            _CACHE.move_to_end(cle)
            return _CACHE[cle]

    def construire() -> References:
        vecteurs = vecteurs_communes(
            lieux_nationaux, rayon_acces_km=rayon_acces_km, decroissance=decroissance, poids=poids
        )
        par_niveau = {
            niveau: indicateurs_par_unite(vecteurs, colonne, rayon_km=rayon_km, seuils_km=seuils)
            for niveau, colonne in CLE_NIVEAU.items()
        }
        return References(vecteurs=vecteurs, par_niveau=par_niveau, rayon_km=float(rayon_km), seuils_km=seuils)

    if decroissance is None:
        # The default decay: the same places give the same references at every start, so a command on a
        # département reads them from disk (one file, replaced when the places or the code change).
        ici = Path(__file__).parent
        entrees = [reference.chemin("communes.parquet"), *(ici / m for m in _MODULES_REFERENCES)]
        ref = cache_reference.charger("references_nationales", entrees, construire, extra=repr(cle[:4]))
    else:
        ref = construire()
    with _VERROU:
        _CACHE[cle] = ref
        while len(_CACHE) > _CACHE_TAILLE:
            _CACHE.popitem(last=False)
    return ref


def vider_cache() -> None:
    """Forget the cached national references (after the places changed in place, or to time them)."""
    with _VERROU:
        _CACHE.clear()


def comparer(territoire, parents: Sequence, pairs: Sequence, refs: References) -> dict:
    """Benchmarks of `territoire`: the same figures for each parent and the median of its peers.

    `territoire`, `parents` and `pairs` are territories (objects with id, niveau, code, nom; see
    diagnostics.territories). Returns {parent niveau: {id, nom, figures…}, "mediane_pairs": {niveau,
    nb_pairs, figures…} or None when the territory has no peer}. The territory itself is not one of
    its peers.
    """
    out: dict = {}
    for parent in parents:
        if parent.niveau in out:
            continue  # an EPCI over two départements is compared with its main one, listed first
        table = refs.par_niveau[parent.niveau]
        code = "france" if parent.niveau == "france" else parent.code
        if code in table.index:
            out[parent.niveau] = {"id": parent.id, "nom": parent.nom, **figures_json(table.loc[code], refs.seuils_km)}
    autres = [p for p in pairs if p.id != territoire.id]
    if territoire.niveau not in refs.par_niveau:
        # Arrondissements, perimeters, or peers the user picked at any level: figures from their communes.
        table = pd.DataFrame(
            [indicateurs(refs.vecteurs.loc[list(p.codes_communes)], rayon_km=refs.rayon_km, seuils_km=refs.seuils_km)
             for p in autres],
            index=pd.Index([p.id for p in autres], dtype=object),
        )
        autres = [_Pair(p.id) for p in autres]
    else:
        table = refs.par_niveau[territoire.niveau]
    codes = [p.code for p in autres if p.code in table.index]
    if codes:
        mediane = table.loc[codes].median(numeric_only=True)
        out["mediane_pairs"] = {
            "niveau": territoire.niveau, "nb_pairs": len(codes), **figures_json(mediane, refs.seuils_km)
        }
    else:
        out["mediane_pairs"] = None
    return out


@dataclass(frozen=True)
class _Pair:
    code: str  # row of the peers' table computed from their communes (their id)
