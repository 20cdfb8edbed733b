"""The évolution's tables with French headings, as shown in the dashboard and downloaded as CSV or XLSX
(formula-safe: `views.fichiers`)."""
from __future__ import annotations

import pandas as pd

from ..evolution import Evolution
from .fichiers import csv_tableau, xlsx_classeur

COLONNES_CHANGEMENTS = {
    "type": "Changement",
    "id": "Identifiant",
    "nom": "Nom",
    "commune": "Commune",
    "code_commune": "Code commune",
    "dispositifs": "Dispositifs",
    "typologies": "Typologies",
    "famille": "Famille",
    "champ": "Champ",
    "avant": "Avant",
    "apres": "Après",
    "appariement": "Appariement",
}
COLONNES_COMMUNES = {"code": "Code commune", "nom": "Commune", "population": "Population", "distance_km": "Distance au lieu le plus proche (km)"}


def table_changements(evolution: Evolution) -> pd.DataFrame:
    """Every opening, closure, move and changed field, one row each."""
    return evolution.tableau_changements().rename(columns=COLONNES_CHANGEMENTS)


def table_indicateurs(evolution: Evolution) -> pd.DataFrame:
    table = evolution.indicateurs[["libelle", "avant", "apres", "difference"]]
    return table.rename(columns={
        "libelle": "Indicateur",
        "avant": f"Avant ({evolution.avant['date'] or 'date inconnue'})",
        "apres": f"Après ({evolution.apres['date'] or 'date inconnue'})",
        "difference": "Différence",
    })


def table_communes(evolution: Evolution) -> pd.DataFrame:
    """Communes that changed white-zone status (the after-figures)."""
    parts = [
        evolution.communes_devenues_zones_blanches.assign(statut="devenue zone blanche"),
        evolution.communes_sorties_des_zones_blanches.assign(statut="sortie des zones blanches"),
    ]
    table = pd.concat(parts, ignore_index=True)[["statut", *COLONNES_COMMUNES]]
    return table.rename(columns={"statut": "Statut", **COLONNES_COMMUNES})


def table_par(evolution: Evolution, niveau: str = "dispositif") -> pd.DataFrame:
    table = evolution.par_dispositif if niveau == "dispositif" else evolution.par_typologie
    return table.rename(columns={
        niveau: niveau.capitalize(), "ouverts": "Ouverts", "fermes": "Fermés", "deplaces": "Déplacés", "modifies": "Modifiés",
    })


def csv_changements(evolution: Evolution) -> bytes:
    return csv_tableau(table_changements(evolution))


def xlsx_evolution(evolution: Evolution) -> bytes:
    """One workbook: the figures before and after, every change, white-zone communes, counts by dispositif."""
    sources = pd.DataFrame([
        {"Photo": "Avant", "Source": evolution.avant["libelle"], "Date": evolution.avant["date"]},
        {"Photo": "Après", "Source": evolution.apres["libelle"], "Date": evolution.apres["date"]},
    ])
    return xlsx_classeur({
        "Indicateurs": table_indicateurs(evolution),
        "Changements": table_changements(evolution),
        "Zones blanches": table_communes(evolution),
        "Par dispositif": table_par(evolution, "dispositif"),
        "Par typologie": table_par(evolution, "typologie"),
        "Sources": sources,
        "Avertissements": pd.DataFrame({"Avertissement": evolution.avertissements}),
    })
