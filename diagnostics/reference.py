"""Cached loaders for the committed reference data in `data/` (geography 2026, passage table, IFN).

Each loader reads its file once per process; callers must not mutate the returned frames. geopandas
and pandas are imported by the loaders, not with the module: a command that finds everything it needs
in the cached tables (`cache_reference`) never pays for them.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .paths import DATA_DIR

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


class DonneesManquantes(RuntimeError):
    """A reference file is missing from data/ (the repository is incomplete)."""


def chemin(name: str) -> Path:
    """Where the reference file `name` lives (it may be missing)."""
    return DATA_DIR / name


def _path(name: str):
    path = chemin(name)
    if not path.exists():
        raise DonneesManquantes(
            f"Fichier de référence introuvable : {path}. Le dossier data/ est incomplet ; "
            "reprenez une copie complète du dépôt ou lancez `make data`."
        )
    return path


@lru_cache(maxsize=1)
def communes() -> gpd.GeoDataFrame:
    """The 34,875 communes of 2026 (metro + DROM): code, nom, dep, reg, epci, population, pos_lon/pos_lat…"""
    import geopandas as gpd

    return gpd.read_parquet(_path("communes.parquet"))


@lru_cache(maxsize=1)
def epci() -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.read_parquet(_path("epci.parquet"))


@lru_cache(maxsize=1)
def departements() -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.read_parquet(_path("departements.parquet"))


@lru_cache(maxsize=1)
def regions() -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.read_parquet(_path("regions.parquet"))


@lru_cache(maxsize=1)
def arrondissements() -> gpd.GeoDataFrame:
    """The 333 arrondissements départementaux of 2026: code ("291"), nom, dep, reg, chef_lieu, population…"""
    import geopandas as gpd

    return gpd.read_parquet(_path("arrondissements.parquet"))


@lru_cache(maxsize=1)
def passage() -> pd.DataFrame:
    """Any known commune code (old, délégué, associé, arrondissement) → 2026 code; `prefere` breaks ties."""
    import pandas as pd

    return pd.read_parquet(_path("communes_passage.parquet"))


@lru_cache(maxsize=1)
def ifn_communes() -> pd.DataFrame:
    """Indice de fragilité numérique per 2026 commune (five components 0–10 and `total`)."""
    import pandas as pd

    return pd.read_parquet(_path("ifn_communes.parquet"))


@lru_cache(maxsize=1)
def ifn_epci() -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(_path("ifn_epci.parquet"))
