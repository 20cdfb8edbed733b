"""What the territory map draws, level by level: polygons carrying the chosen indicator, the
territory's places and its neighbours', white zones, outline.

A national map draws départements (35,000 commune polygons would weigh tens of megabytes); every
other level draws its communes.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import reference, territories
from ..indicators import fragilite
from ..places import dans_territoire

# key → (French label, class scheme). The keys are columns of indicators.par_commune.table_communes.
INDICATEURS_CARTE: dict[str, tuple[str, str]] = {
    "ifn": ("Indice de fragilité numérique", "ifn"),
    "score_priorite": ("Score de priorité", "quantiles"),
    "distance_km": ("Distance au lieu le plus proche (km)", "quantiles"),
    "acces_10000": ("Accessibilité (lieux pour 10 000 hab. à portée)", "quantiles"),
    "lieux_pour_10000_habitants": ("Lieux pour 10 000 habitants", "quantiles"),
    "population": ("Population", "quantiles"),
    "aucun": ("Aucun indicateur (contours seuls)", "quantiles"),
}
# At the national level, the per-département figure standing for each commune indicator.
_DEPARTEMENT = {
    "ifn": "ifn",
    "distance_km": "distance_mediane_km",
    "acces_10000": "accessibilite_moyenne",
    "lieux_pour_10000_habitants": "lieux_pour_10000_habitants",
    "population": "population",
}


@dataclass
class CouchesCarte:
    polygones: gpd.GeoDataFrame
    lieux: gpd.GeoDataFrame
    lieux_voisins: gpd.GeoDataFrame | None
    contour: object
    zones_blanches: list[str] | None
    note: str = ""

    def colonne(self, indicateur: str) -> str | None:
        return indicateur if indicateur in self.polygones.columns else None


def couches_carte(territoire, lieux: gpd.GeoDataFrame, table: pd.DataFrame | None, *, rayon_km: float = 10,
                  table_departements: pd.DataFrame | None = None) -> CouchesCarte:
    """Layers of the map of `territoire`.

    `table` is the per-commune table (indicators.par_commune.table_communes) for a sub-national
    territory; `table_departements` the per-département table (diagnostic.table_unites) for France.
    """
    dedans = dans_territoire(lieux, territoire)
    if territoire.niveau == "france":
        return _couches_france(lieux, table_departements)
    polygones = territories.communes_frame(territoire)[["code", "nom", "geometry"]].merge(table, on=["code", "nom"], how="left")
    polygones["distance_km"] = polygones["distance_km"].replace([np.inf], np.nan)
    zones = table.loc[table["zone_blanche"], "code"].tolist()
    return CouchesCarte(
        polygones=gpd.GeoDataFrame(polygones, geometry="geometry", crs="EPSG:4326"),
        lieux=lieux[dedans],
        lieux_voisins=lieux[~dedans],
        contour=territories.geometry(territoire),
        zones_blanches=zones,
        note=f"Zones blanches (contour tireté) : communes à plus de {rayon_km:g} km de tout lieu.",
    )


def _couches_france(lieux: gpd.GeoDataFrame, table: pd.DataFrame | None) -> CouchesCarte:
    deps = reference.departements()[["code", "nom", "population", "geometry"]].copy()
    if table is not None:
        figures = table.set_index("code")
        for cle, colonne in _DEPARTEMENT.items():
            if colonne in figures.columns and cle != "population":
                deps[cle] = deps["code"].map(figures[colonne]).astype("float64")
    ifn = fragilite.ifn_par_unite(reference.communes(), "dep")
    deps["ifn"] = deps["code"].map(ifn["ifn_pondere"]).astype("float64")
    metropole = deps[deps["code"].str.len() == 2]
    return CouchesCarte(
        polygones=deps,
        lieux=lieux,
        lieux_voisins=None,
        contour=metropole.union_all(),
        zones_blanches=None,
        note="Vue nationale par département (médiane des distances, accessibilité moyenne, IFN pondéré par la "
        "population) ; choisissez une région ou un département pour voir les communes et les zones blanches.",
    )
