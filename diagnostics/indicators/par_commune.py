"""One row per commune of a territory with every per-commune indicator: what maps colour, what the
white-zone and priority tables list, what the indicator exports write."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from . import comparaison as cmp
from . import fragilite, priorites

# Column → (French label, unit) for tables, legends and exports.
COLONNES = {
    "code": ("Code INSEE", ""),
    "nom": ("Commune", ""),
    "population": ("Population", "habitants"),
    "nb_lieux": ("Lieux", "lieux"),
    "lieux_pour_10000_habitants": ("Lieux pour 10 000 habitants", ""),
    "distance_km": ("Distance au lieu le plus proche", "km"),
    "zone_blanche": ("Zone blanche", ""),
    "acces_10000": ("Accessibilité (E2SFCA)", "lieux pour 10 000 hab. à portée"),
    "ifn": ("Indice de fragilité numérique", "sur 10"),
    "classe_ifn": ("Classe de fragilité (1 à 7)", ""),
    "libelle_ifn": ("Niveau de fragilité", ""),
    "score_priorite": ("Score de priorité", "0 à 1"),
    "rang_priorite": ("Rang de priorité", ""),
    "motif_priorite": ("Pourquoi", ""),
    "classement_frr": ("Classement France Ruralités Revitalisation (2025)", ""),
    "nb_qpv": ("Quartiers prioritaires (QPV 2024)", "quartiers"),
    "population_qpv": ("Population des QPV (compilation tierce)", "habitants"),
}


def table_communes(
    territoire,
    lieux: gpd.GeoDataFrame,
    *,
    rayon_km: float = cmp.RAYON_KM,
    rayon_acces_km: float = cmp.RAYON_ACCES_KM,
    poids: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-commune indicators of `territoire`, ordered by priority rank (most urgent first).

    `lieux` must hold the territory's places and its neighbours' within the buffer: a commune near
    the border may be closest to a place across it. `distance_km` is +inf for a commune whose zone
    (metropolitan France, or its overseas département) has no place at all.
    """
    vecteurs = cmp.vecteurs_communes(lieux, territoire.codes_communes, rayon_acces_km=rayon_acces_km, poids=poids)
    table = vecteurs.reset_index()[["code", "nom", "population", "nb_lieux", "distance_km", "acces_10000"]]
    population = table["population"].astype(float)
    table["lieux_pour_10000_habitants"] = np.where(population > 0, table["nb_lieux"] * 10_000 / population.where(population > 0, 1), np.nan)
    table["zone_blanche"] = table["distance_km"] > rayon_km
    rangs = fragilite.priorites(table, accessibilite=table["acces_10000"].to_numpy(), distance_km=table["distance_km"].to_numpy())
    table["ifn"] = rangs["ifn"]
    table["classe_ifn"] = rangs["classe"]
    table["libelle_ifn"] = rangs["libelle"]
    table["score_priorite"] = rangs["score"]
    table["rang_priorite"] = rangs["rang"]
    table["motif_priorite"] = rangs["motif"]
    zonage = priorites.zonage_communes(pd.Index(table["code"].to_numpy(dtype=object), dtype=object))
    for colonne in ("classement_frr", "nb_qpv", "population_qpv"):
        table[colonne] = zonage[colonne].array
    table = table.sort_values(["rang_priorite", "population"], ascending=[True, False], na_position="last")
    return table[list(COLONNES)].reset_index(drop=True)
