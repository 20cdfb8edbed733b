"""Reference geography and the Indice de fragilité numérique, from `../shared/data` to compact files in `data/`."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import arrondissements

IFN_COMPONENTS = ["no_thd_coverage_rate", "no_4g_coverage_rate", "poverty_rate", "older_65_rate", "nscol15p_rate"]


def _write_parquet(frame: gpd.GeoDataFrame, path: Path) -> None:
    # zstd + no index: smallest deterministic output that geopandas reads back as is.
    frame.to_parquet(path, compression="zstd", index=False)


def build(shared: Path, data: Path) -> dict[str, int]:
    """Write communes, arrondissements, EPCI, départements, régions, the passage table and the IFN; return row counts."""
    geo = shared / "data" / "geo"
    data.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    communes = gpd.read_parquet(geo / "communes_2026_200m.parquet")
    communes = communes.drop(columns=["centroid_lon", "centroid_lat"]).sort_values("code").reset_index(drop=True)
    _write_parquet(communes, data / "communes.parquet")
    counts["communes"] = len(communes)
    counts.update(arrondissements.build(shared, communes, data))

    for layer, name in [("epci", "epci"), ("departements", "departements"), ("regions", "regions")]:
        frame = gpd.read_file(geo / f"{layer}_2026_200m.geojson").sort_values("code").reset_index(drop=True)
        _write_parquet(frame, data / f"{name}.parquet")
        counts[name] = len(frame)

    passage = pd.read_csv(geo / "communes_passage_2026.csv", dtype=str, keep_default_na=False)
    passage["prefere"] = passage["prefere"].eq("True")
    passage.to_parquet(data / "communes_passage.parquet", compression="zstd", index=False)
    counts["communes_passage"] = len(passage)

    counts.update(_build_ifn(shared / "data" / "extra" / "ifn", passage, communes, data))
    return counts


def _build_ifn(folder: Path, passage: pd.DataFrame, communes: pd.DataFrame, data: Path) -> dict[str, int]:
    """IFN per 2026 commune and per EPCI.

    The commune file uses the COG of about 2021–2023; codes are mapped to 2026 through the passage
    table. Where several old communes merged into one, their component scores are averaged with
    equal weights (their old populations are not in our reference) and the total is recomputed as
    the mean of the five components, which is how the index is defined.
    """
    city = pd.read_csv(folder / "ifn-city-all-variation.csv", dtype={"code": str})
    preferred = passage[passage["prefere"]].drop_duplicates("code_source").set_index("code_source")["code_2026"]
    city["code_2026"] = city["code"].map(preferred)
    city = city[city["code_2026"].isin(set(communes["code"]))]
    grouped = city.groupby("code_2026")
    ifn = grouped[IFN_COMPONENTS].mean().round(2)
    ifn["total"] = ifn[IFN_COMPONENTS].mean(axis=1).round(2)
    ifn["nb_codes_sources"] = grouped.size()
    ifn = ifn.reset_index().rename(columns={"code_2026": "code"})
    ifn.to_parquet(data / "ifn_communes.parquet", compression="zstd", index=False)

    epci = pd.read_csv(folder / "ifn-epci-all-variation.csv", dtype={"code": str})
    epci = epci[["code", "name", *IFN_COMPONENTS, "total"]].rename(columns={"name": "nom"})
    epci.to_parquet(data / "ifn_epci.parquet", compression="zstd", index=False)
    return {"ifn_communes": len(ifn), "ifn_epci": len(epci)}
