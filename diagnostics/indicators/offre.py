"""Offer profile of a set of places: what is offered, to whom, how and at what cost, and where each
kind of offer is out of reach (per-service white zones).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..standard.fields import ENUMS, LIST_SEPARATOR, typologie_labels
from .fragilite import par_commune

# Fields profiled, in display order, with their French titles.
PROFILS = {
    "services": "Services proposés",
    "publics_specifiquement_adresses": "Publics spécifiquement adressés",
    "prise_en_charge_specifique": "Prise en charge spécifique",
    "frais_a_charge": "Frais à charge",
    "dispositif_programmes_nationaux": "Dispositifs et programmes nationaux",
    "modalites_accompagnement": "Modalités d'accompagnement",
    "modalites_acces": "Modalités d'accès",
    "typologie": "Typologie de structure",
    "itinerance": "Itinérance",
}
NON_RENSEIGNE = "Non renseigné"
NOTE_PARTS = "Un lieu peut avoir plusieurs valeurs : les parts se rapportent au nombre de lieux et ne s'additionnent pas à 100 %."

NearestFn = Callable[[gpd.GeoDataFrame], pd.Series]


def profil(places: pd.DataFrame, champ: str) -> pd.DataFrame:
    """Counts and shares of each value of a `|`-list field.

    Rows, in a stable order: every value of the standard's vocabulary (zero counts included, in the
    standard's order; for `typologie`, which has no closed vocabulary, the codes found, most frequent
    first), then values found outside the vocabulary (kept, flagged `hors_standard`), then one
    "Non renseigné" row (places whose cell is empty, `valeur` = "").

    Returns
    -------
    DataFrame with columns valeur, libelle, nombre, part (share of the places, NaN when there are
    none), hors_standard.
    """
    items = _items(places, champ)
    counts = items.value_counts().to_dict()
    empty = len(places) - items.index.nunique()
    if champ in ENUMS:
        vocabulary = list(ENUMS[champ])
        labels = {v: v for v in vocabulary}
    else:
        labels = typologie_labels() if champ == "typologie" else {}
        vocabulary = sorted((v for v in counts if v in labels), key=lambda v: (-counts[v], v))
    outside = sorted((v for v in counts if v not in labels), key=lambda v: (-counts[v], v))
    rows = [(v, labels[v], counts.get(v, 0), False) for v in vocabulary]
    rows += [(v, v, counts[v], True) for v in outside]
    rows.append(("", NON_RENSEIGNE, empty, False))
    out = pd.DataFrame(rows, columns=["valeur", "libelle", "nombre", "hors_standard"])
    out["nombre"] = out["nombre"].astype("int64")
    out["part"] = out["nombre"] / len(places) if len(places) else np.nan
    return out[["valeur", "libelle", "nombre", "part", "hors_standard"]]


def _items(places: pd.DataFrame, champ: str) -> pd.Series:
    """Distinct values of each place's `|` list, one row per (place position, value).

    Split with pyarrow's vectorized kernels: the Python split of 9 fields × 15,000 places was the
    cost of the whole profile.
    """
    if champ not in places:
        return pd.Series([], dtype=object)
    cells = pa.array(places[champ].fillna("").astype("str"))
    lists = pc.split_pattern(cells, pattern=LIST_SEPARATOR)
    positions = pc.list_parent_indices(lists).to_numpy()
    # Values as codes into their dictionary: deduplicating (position, code) pairs as integers avoids
    # building a pandas string column of every value, which cost more than the split itself.
    codes = pc.dictionary_encode(pc.list_flatten(lists)) if len(positions) else None
    if codes is None:
        return pd.Series([], dtype=object)
    dictionnaire = np.asarray(codes.dictionary.to_pylist(), dtype=object)
    indices = codes.indices.to_numpy()
    garder = dictionnaire[indices] != ""
    paires = np.unique(np.column_stack([positions[garder], indices[garder]]), axis=0)
    return pd.Series(dictionnaire[paires[:, 1]], index=paires[:, 0], dtype=object)


def propose(places: pd.DataFrame, champ: str, valeur: str) -> pd.Series:
    """True for places whose `champ` list holds `valeur` (indexed like `places`)."""
    return _mask(_items(places, champ), valeur, places.index)


def _mask(items: pd.Series, valeur: str, index: pd.Index) -> pd.Series:
    mask = np.zeros(len(index), dtype=bool)
    mask[items.index[items.to_numpy() == valeur].to_numpy(dtype=int)] = True
    return pd.Series(mask, index=index)


def zones_blanches_offre(
    places: gpd.GeoDataFrame,
    communes: pd.DataFrame,
    nearest_fn: NearestFn,
    champ: str = "services",
    valeurs: Iterable[str] | None = None,
    seuil_km: float = 10.0,
) -> pd.DataFrame:
    """For each value of `champ` (a service, a public, a kind of support…), the population living more
    than `seuil_km` from any place offering it.

    Parameters
    ----------
    places : places offering the values; include the neighbours within the buffer, since a place
        across the border still serves the territory.
    communes : the territory's communes (`code`, `population`).
    nearest_fn : ``nearest_fn(places_subset) -> Series`` of km to the nearest place of the subset, for
        every commune (indexed by commune code or like `communes`); never called with an empty subset.
    valeurs : values to assess; default the standard's vocabulary of `champ` (or the values found).
    seuil_km : distance beyond which a commune counts as a white zone for that value.

    Returns
    -------
    One row per value: valeur, nb_lieux, nb_lieux_sans_position (offering it but not on the map, so
    left out of distances), population_au_dela, part_population_au_dela, nb_communes_au_dela.
    """
    population = pd.to_numeric(communes["population"], errors="coerce").fillna(0)
    total = float(population.sum())
    rows = []
    for valeur, distances, offering, located in _distances_par_valeur(places, communes, nearest_fn, champ, valeurs):
        beyond = distances > seuil_km
        pop = float(population[beyond].sum())
        rows.append(
            {
                "valeur": valeur,
                "nb_lieux": int(offering),
                "nb_lieux_sans_position": int(offering - located),
                "population_au_dela": int(pop),
                "part_population_au_dela": pop / total if total > 0 else np.nan,
                "nb_communes_au_dela": int(beyond.sum()),
            }
        )
    columns = ["valeur", "nb_lieux", "nb_lieux_sans_position", "population_au_dela",
               "part_population_au_dela", "nb_communes_au_dela"]
    return pd.DataFrame(rows, columns=columns)


def communes_eloignees(
    places: gpd.GeoDataFrame,
    communes: pd.DataFrame,
    nearest_fn: NearestFn,
    champ: str,
    valeur: str,
    seuil_km: float = 10.0,
) -> pd.DataFrame:
    """Communes more than `seuil_km` from any place offering `valeur`, most populated first
    (code, nom, population, distance_km; distance is inf when no place offers it)."""
    (_, distances, _, _), = _distances_par_valeur(places, communes, nearest_fn, champ, [valeur])
    out = pd.DataFrame(
        {
            "code": communes["code"].astype(str),
            "nom": communes["nom"].astype(str) if "nom" in communes else "",
            "population": pd.to_numeric(communes["population"], errors="coerce").fillna(0).astype("int64"),
            "distance_km": distances,
        }
    )
    return out[out["distance_km"] > seuil_km].sort_values(["population", "code"], ascending=[False, True])


def _distances_par_valeur(places, communes, nearest_fn, champ, valeurs):
    """Yield (valeur, distances aligned on communes, places offering it, of which located)."""
    if valeurs is None:
        valeurs = ENUMS.get(champ) or [v for v in profil(places, champ)["valeur"] if v]
    located = places.geometry.notna() & ~places.geometry.is_empty if len(places) else pd.Series([], dtype=bool)
    items = _items(places, champ)
    for valeur in valeurs:
        offering = _mask(items, valeur, places.index)
        subset = places[offering & located]
        if len(subset):
            distances = par_commune(nearest_fn(subset), communes).astype("float64").fillna(np.inf)
        else:
            distances = pd.Series(np.inf, index=communes.index)
        yield valeur, distances, int(offering.sum()), int((offering & located).sum())


def resume_offre(
    places: pd.DataFrame,
    *,
    communes: pd.DataFrame | None = None,
    nearest_fn: NearestFn | None = None,
    lieux_proches: gpd.GeoDataFrame | None = None,
    seuil_km: float = 10.0,
) -> dict:
    """JSON-ready offer profile of `places` (the territory's own places) and, when `communes` and
    `nearest_fn` are given, per-service white zones computed on `lieux_proches` (the places with
    their neighbours within the buffer; default `places`)."""
    profils = {}
    for champ, titre in PROFILS.items():
        table = profil(places, champ)
        non_renseigne = table[table["valeur"] == ""].iloc[0]
        listed = table[table["valeur"] != ""]
        profils[champ] = {
            "titre": titre,
            "valeurs": [
                {"valeur": r.valeur, "libelle": r.libelle, "nombre": int(r.nombre), "part": _share(r.part),
                 "hors_standard": bool(r.hors_standard)}
                for r in listed.itertuples()
            ],
            "non_renseigne": int(non_renseigne["nombre"]),
            "part_non_renseigne": _share(non_renseigne["part"]),
        }
    resume = {"nb_lieux": int(len(places)), "note": NOTE_PARTS, "profils": profils}
    if communes is not None and nearest_fn is not None:
        autour = lieux_proches if lieux_proches is not None else places
        table = zones_blanches_offre(autour, communes, nearest_fn, "services", seuil_km=seuil_km)
        resume["zones_blanches_par_service"] = {
            "seuil_km": float(seuil_km),
            "services": [
                {
                    "service": r.valeur,
                    "nb_lieux": int(r.nb_lieux),
                    "nb_lieux_sans_position": int(r.nb_lieux_sans_position),
                    "population_au_dela": int(r.population_au_dela),
                    "part_population_au_dela": _share(r.part_population_au_dela),
                    "nb_communes_au_dela": int(r.nb_communes_au_dela),
                }
                for r in table.itertuples()
            ],
        }
    return resume


def _share(value):
    return None if value is None or pd.isna(value) else round(float(value), 6)
