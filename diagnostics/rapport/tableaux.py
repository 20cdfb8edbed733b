"""Indicator tables of a territory, per commune and per EPCI, as spreadsheet-safe CSV and as XLSX with a
second sheet describing each column. Text cells are written as text (never run as formulas)."""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..diagnostic import table_unites
from ..indicators.par_commune import COLONNES
from ..views import definitions
from ..views.fichiers import csv_tableau, nom_fichier, xlsx_classeur
from ..views.graphiques_couverture import indicateurs_pairs

# Definitions of the per-commune columns that `views.definitions` does not hold.
_DEFINITIONS_COMMUNES = {
    "code": "Code officiel géographique 2026 de la commune (INSEE).",
    "nom": "Nom de la commune (COG 2026).",
    "population": "Population municipale (INSEE, populations légales 2023).",
    "nb_lieux": definitions.definition("nb_lieux"),
    "lieux_pour_10000_habitants": definitions.definition("lieux_pour_10000_habitants"),
    "distance_km": (
        "Distance à vol d'oiseau du point intérieur de la commune au lieu le plus proche, lieux des territoires "
        "voisins compris ; « aucun lieu » quand la zone (métropole ou département d'outre-mer) n'en compte aucun."
    ),
    "zone_blanche": definitions.definition("zones_blanches"),
    "acces_10000": definitions.definition("accessibilite_moyenne").replace(", moyenne pondérée par la population", ""),
    "ifn": definitions.definition("ifn"),
    "classe_ifn": "Classe de l'indice de fragilité numérique, de 1 (risque faible) à 7 (risque fort).",
    "libelle_ifn": "Nom de la classe de fragilité numérique.",
    "score_priorite": (
        "Fragilité × poids démographique × manque d'accès, chaque terme entre 0 et 1 : plus il est élevé, plus la "
        "commune est prioritaire."
    ),
    "rang_priorite": "Rang de la commune dans le classement des priorités (1 : la plus prioritaire).",
    "motif_priorite": "Les chiffres qui expliquent le rang de la commune.",
    "classement_frr": (
        "Classement France Ruralités Revitalisation au 10 juillet 2025 (DGCL) : FRR socle, FRR+, FRR bénéficiaire, "
        "classée ou bénéficiaire partiellement, ou Non classée."
    ),
    "nb_qpv": "Nombre de quartiers prioritaires de la politique de la ville (géographie 2024, ANCT) dans la commune.",
    "population_qpv": (
        "Habitants des QPV de la commune selon une compilation tierce (MaFrance, année non indiquée, non officielle) ; "
        "un QPV sur plusieurs communes est réparti selon sa surface ; vide quand un QPV n'a pas de chiffre."
    ),
}
_DEFINITIONS_UNITES = {
    "id": "Identifiant du territoire dans l'outil (epci:SIREN, dep:code…).",
    "code": "Code officiel du territoire (SIREN pour un EPCI).",
    "nom": "Nom du territoire.",
    "niveau": "Niveau du territoire (region, departement, epci, commune).",
    "population": "Population municipale (INSEE, populations légales 2023).",
    "nb_communes": "Nombre de communes (COG 2026).",
    "nb_lieux": definitions.definition("nb_lieux"),
    "lieux_pour_10000_habitants": definitions.definition("lieux_pour_10000_habitants"),
    "distance_moyenne_km": definitions.definition("distance_moyenne_km"),
    "distance_mediane_km": definitions.definition("distance_mediane_km"),
    "accessibilite_moyenne": definitions.definition("accessibilite_moyenne"),
}
_UNITES_GENRE = {"part": "0 à 1", "km": "km", "entier": "", "decimal": "", "score": "0 à 1"}


@dataclass
class TableIndicateurs:
    """An indicator table ready to write: French headers, and one description row per column."""

    nom: str  # "communes" or "epci"
    donnees: pd.DataFrame
    description: pd.DataFrame  # Colonne, Nom technique, Unité, Définition


def table_par_commune(table_communes: pd.DataFrame) -> TableIndicateurs:
    """The per-commune table (`indicators.par_commune.table_communes`) with French headers.

    Infinite distances (no place in the zone) read "aucun lieu"; booleans "oui" / "non".
    """
    colonnes = [c for c in COLONNES if c in table_communes.columns]
    entetes = {c: _entete(*COLONNES[c]) for c in colonnes}
    description = pd.DataFrame(
        {
            "Colonne": [entetes[c] for c in colonnes],
            "Nom technique": colonnes,
            "Unité": [COLONNES[c][1] for c in colonnes],
            "Définition": [_DEFINITIONS_COMMUNES.get(c, "") for c in colonnes],
        }
    )
    return TableIndicateurs("communes", _lisible(table_communes[colonnes]).rename(columns=entetes), description)


def table_par_epci(territoire, lieux: gpd.GeoDataFrame, *, rayon_km: float = 10.0) -> TableIndicateurs | None:
    """Headline figures of each EPCI of `territoire` (the EPCI itself for an EPCI); None for a commune.

    An EPCI straddling the territory's border is counted whole (see `diagnostic.table_unites`).
    """
    if territoire.niveau == "commune":
        return None
    table = table_unites(territoire, lieux, "epci", rayon_km=rayon_km)
    genres = indicateurs_pairs(rayon_km)
    colonnes = [c for c in table.columns if c in _DEFINITIONS_UNITES or c in genres]
    libelles = {c: genres[c][0] for c in colonnes if c in genres}
    libelles.update({"id": "Identifiant", "code": "Code (SIREN)", "nom": "EPCI", "niveau": "Niveau"})
    unites = {c: _UNITES_GENRE.get(genres[c][1], "") if c in genres else "" for c in colonnes}
    entetes = {c: _entete(libelles[c], unites[c]) for c in colonnes}
    description = pd.DataFrame(
        {
            "Colonne": [entetes[c] for c in colonnes],
            "Nom technique": colonnes,
            "Unité": [unites[c] for c in colonnes],
            "Définition": [_DEFINITIONS_UNITES.get(c) or libelles[c] + "." for c in colonnes],
        }
    )
    return TableIndicateurs("epci", _lisible(table[colonnes]).rename(columns=entetes), description)


def csv_octets(table: TableIndicateurs) -> bytes:
    """The table as a French spreadsheet CSV (`;`, decimal comma, BOM, formulas neutralised)."""
    return csv_tableau(table.donnees)


def xlsx_octets(table: TableIndicateurs) -> bytes:
    """The table as XLSX: sheet "indicateurs" (numbers as numbers, text as text) and sheet "colonnes"."""
    return xlsx_classeur({"indicateurs": table.donnees, "colonnes": table.description})


def fichiers(territoire_nom: str, tables: list[TableIndicateurs | None]) -> dict[str, bytes]:
    """File name → bytes for each table as CSV and XLSX, names built from the territory's name made
    file-safe ("indicateurs-communes_Finistere.csv")."""
    out = {}
    for table in tables:
        if table is None:
            continue
        base = f"indicateurs-{table.nom}"
        out[nom_fichier(base, territoire_nom, extension="csv")] = csv_octets(table)
        out[nom_fichier(base, territoire_nom, extension="xlsx")] = xlsx_octets(table)
    return out


def _entete(libelle: str, unite: str) -> str:
    return f"{libelle} ({unite})" if unite else libelle


def _lisible(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for colonne in out.columns:
        serie = out[colonne]
        if pd.api.types.is_bool_dtype(serie):
            out[colonne] = serie.map({True: "oui", False: "non"}).astype(object)
        elif pd.api.types.is_float_dtype(serie):
            valeurs = serie.to_numpy(dtype=float)
            if np.isinf(valeurs).any():
                out[colonne] = serie.astype(object).where(~np.isinf(valeurs), "aucun lieu")
    return out
