"""Density of places: counts per commune, places per 10,000 inhabitants, communes with a place and the
share of the population living in one. A place belongs to the commune of its `code_commune_2026`,
whether or not it has coordinates."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..standard.fields import CODE_COMMUNE

PAR_HABITANTS = 10_000


def lieux_par_commune(lieux: pd.DataFrame, codes: Iterable[str]) -> pd.Series:
    """Number of places per commune code in `codes` (0 when none), from `code_commune_2026`."""
    index = codes if isinstance(codes, pd.Index) else pd.Index(list(codes), name="code")
    positions = index.get_indexer(lieux[CODE_COMMUNE].astype(str))
    comptes = np.bincount(positions[positions >= 0], minlength=len(index))
    return pd.Series(comptes.astype("int64"), index=index, name="nb_lieux")


def densite_par_groupe(population, nb_lieux, groupes: np.ndarray, n_groupes: int) -> dict[str, np.ndarray]:
    """Density figures per group from per-commune vectors (`groupes`: integer codes 0..n_groupes-1).

    Returns arrays keyed population, nb_communes, nb_lieux, lieux_pour_10000_habitants,
    communes_avec_lieu, part_communes_avec_lieu, part_population_commune_avec_lieu (ratios NaN for an
    empty group).
    """
    pop = np.asarray(population, dtype=float)
    n = np.asarray(nb_lieux, dtype=float)
    g = np.asarray(groupes, dtype=np.int64)
    avec = n > 0
    total = np.bincount(g, weights=pop, minlength=n_groupes)
    communes = np.bincount(g, minlength=n_groupes).astype(float)
    lieux = np.bincount(g, weights=n, minlength=n_groupes)
    communes_avec = np.bincount(g, weights=avec.astype(float), minlength=n_groupes)
    population_avec = np.bincount(g, weights=pop * avec, minlength=n_groupes)
    return {
        "population": total,
        "nb_communes": communes,
        "nb_lieux": lieux,
        "lieux_pour_10000_habitants": rapport(lieux * PAR_HABITANTS, total),
        "communes_avec_lieu": communes_avec,
        "part_communes_avec_lieu": rapport(communes_avec, communes),
        "part_population_commune_avec_lieu": rapport(population_avec, total),
    }


def resume_densite(population: pd.Series, nb_lieux: pd.Series) -> dict[str, float]:
    """Density figures of one territory from per-commune population and place counts (same index)."""
    nb = nb_lieux.reindex(population.index, fill_value=0)
    colonnes = densite_par_groupe(population, nb, np.zeros(len(population), dtype=np.int64), 1)
    return {nom: float(valeurs[0]) for nom, valeurs in colonnes.items()}


def rapport(numerateur: np.ndarray, denominateur: np.ndarray) -> np.ndarray:
    """numerateur / denominateur, NaN where the denominator is 0."""
    return np.divide(numerateur, denominateur, out=np.full(len(denominateur), np.nan), where=denominateur > 0)
