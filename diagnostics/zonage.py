"""Cached loaders for the priority-territory and human-means files of `data/` (built by
`diagnostics/build/priorites.py`), with what each file is and how old it is.

A missing file raises `FichierAbsent`, which names it: the diagnostic then says which file is missing
instead of showing a zero.
"""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import pandas as pd

from .paths import DATA_DIR
from .reference import DonneesManquantes

# Key → file in data/, what it is (French, with its date), date as the JSON carries it.
FICHIERS = {
    "frr": ("frr_communes.parquet", "Classement France Ruralités Revitalisation au 10 juillet 2025 (DGCL)", "2025-07-10"),
    "qpv": (
        "qpv.parquet",
        "Quartiers prioritaires de la politique de la ville 2024 (ANCT), contours simplifiés, approximatifs",
        "2024",
    ),
    "population_qpv": (
        "qpv.parquet",
        "Population municipale des QPV : compilation tierce (MaFrance), année non indiquée, non officielle",
        "non indiquée",
    ),
    "qpv_communes": ("qpv_communes.parquet", "Communes des QPV 2024 (ANCT) et part de leur surface", "2024"),
    "conseillers_numeriques": (
        "conseillers_numeriques.parquet",
        "Structures d'accueil des conseillers numériques (ANCT, données ouvertes 2023)",
        "2023",
    ),
    "aidants_connect": (
        "aidants_connect_activite.parquet",
        "Structures Aidants Connect : aidants habilités et activité (export du 22 février 2024)",
        "2024-02-22",
    ),
}


class FichierAbsent(DonneesManquantes):
    """A zoning or human-means file is missing from data/; `fichier` is its path."""

    def __init__(self, cle: str):
        self.cle = cle
        self.fichier = f"data/{FICHIERS[cle][0]}"
        super().__init__(
            f"Fichier {self.fichier} introuvable ({FICHIERS[cle][1]}) : ce bloc n'est pas calculé. "
            "Reprenez une copie complète du dépôt ou lancez `make data`."
        )


def source(cle: str) -> dict:
    """{fichier, libelle, date} of one file, as every block that uses it carries it."""
    nom, libelle, date = FICHIERS[cle]
    return {"fichier": f"data/{nom}", "libelle": libelle, "date": date}


def _lire(cle: str, geo: bool = False):
    path = DATA_DIR / FICHIERS[cle][0]
    if not path.exists():
        raise FichierAbsent(cle)
    return gpd.read_parquet(path) if geo else pd.read_parquet(path)


@lru_cache(maxsize=1)
def frr() -> pd.DataFrame:
    """FRR class per 2026 commune (code, classement_frr, nb_codes_sources)."""
    return _lire("frr")


@lru_cache(maxsize=1)
def qpv() -> gpd.GeoDataFrame:
    """QPV 2024: code_qp, lib_qp, dep, communes_2024, population (nullable), pos_lon, pos_lat, geometry."""
    return _lire("qpv", geo=True)


@lru_cache(maxsize=1)
def qpv_communes() -> pd.DataFrame:
    """QPV × 2026 commune pairs with the commune's share of the QPV's area (part_surface)."""
    return _lire("qpv_communes")


@lru_cache(maxsize=1)
def conseillers_numeriques() -> pd.DataFrame:
    return _lire("conseillers_numeriques")


@lru_cache(maxsize=1)
def aidants_connect() -> pd.DataFrame:
    return _lire("aidants_connect")
