"""Arrondissements départementaux 2026: names from the COG (decoupage-administratif), outlines dissolved from
the 200 m commune coverage (so their borders are the communes' borders), population summed over the communes."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

SOURCE = Path("geo") / "source" / "decoupage-administratif-6.0.0" / "arrondissements.json"


def build(shared: Path, communes: gpd.GeoDataFrame, data: Path) -> dict[str, int]:
    """Write `data/arrondissements.parquet` (code, nom, dep, reg, chef_lieu, population, n_communes,
    geometry) for every arrondissement holding at least one commune with reference geometry."""
    rows = json.loads((shared / "data" / SOURCE).read_text(encoding="utf-8"))
    cog = pd.DataFrame(rows).rename(columns={"departement": "dep", "region": "reg", "chefLieu": "chef_lieu"})
    membres = communes[communes["arr"].notna() & communes["arr"].ne("")]
    groupes = membres.groupby("arr")
    # A plain union: the 200 m coverage is not noded finely enough for GEOS coverage_union.
    contours = groupes["geometry"].agg(lambda g: shapely.union_all(g.to_numpy()))
    totaux = pd.DataFrame({"population": groupes["population"].sum().astype("int64"), "n_communes": groupes.size()})
    cog = cog[cog["code"].isin(totaux.index)].set_index("code")
    table = cog[["nom", "dep", "reg", "chef_lieu"]].join(totaux).reset_index()
    frame = gpd.GeoDataFrame(table, geometry=contours.reindex(table["code"]).to_numpy(), crs=communes.crs)
    frame = frame.sort_values("code").reset_index(drop=True)
    frame.to_parquet(data / "arrondissements.parquet", compression="zstd", index=False)
    return {"arrondissements": len(frame)}
