"""The évolution's tables with French headings, as shown in the dashboard and downloaded as CSV or XLSX
(formula-safe: `views.fichiers`)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import date_courte
from ..evolution import Evolution
from ..standard.fields import split_list
from ..territories import normalize_name
from .fichiers import csv_tableau, xlsx_classeur
from .format import nombre, pourcentage

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


# Headline cards of the page: key of `evolution.INDICATEURS` → (French label, kind, more is worse).
CARTES: dict[str, tuple[str, str, bool]] = {
    "nb_lieux": ("Lieux", "nombre", False),
    "lieux_pour_10000_habitants": ("Lieux pour 10 000 hab.", "decimal", False),
    "population_a_moins_de_10_km": ("Habitants à moins de 10 km", "nombre", False),
    "zones_blanches_population": ("Habitants en zone blanche", "nombre", True),
    "accessibilite_moyenne": ("Accessibilité moyenne", "decimal", False),
    "part_fiches_a_jour": ("Part des fiches à jour", "part", False),
}


@dataclass(frozen=True)
class Carte:
    """One headline card: `valeur` says before → after, `delta` the signed difference ("" when none)."""

    cle: str
    libelle: str
    valeur: str
    delta: str
    inverse: bool  # a rise is bad news (more inhabitants in white zones)
    aide: str


def _formater(x, genre: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if genre == "part":
        return pourcentage(x, 1)
    return nombre(x, 2 if genre == "decimal" else 0)


def _ecart(x, genre: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x == 0:
        return ""
    signe = "+" if x > 0 else "-"
    if genre == "part":
        return f"{signe}{nombre(abs(x) * 100, 1)}\u202fpt"
    if genre == "decimal":
        # A small change still shows: 0,004 rather than a signed 0,00.
        return signe + nombre(abs(x), 2 if abs(x) >= 0.005 else 3)
    return signe + nombre(abs(x))


def cartes_indicateurs(evolution: Evolution) -> list[Carte]:
    """The headline figures before → after with their difference, French-formatted."""
    lignes = evolution.indicateurs.set_index("cle")
    date_a, date_b = date_courte(evolution.avant["date"]), date_courte(evolution.apres["date"])
    cartes = []
    for cle, (libelle, genre, inverse) in CARTES.items():
        avant, apres = (None if pd.isna(v) else v for v in (lignes.at[cle, "avant"], lignes.at[cle, "apres"]))
        difference = None if avant is None or apres is None else apres - avant
        cartes.append(Carte(
            cle=cle, libelle=libelle, valeur=f"{_formater(avant, genre)} → {_formater(apres, genre)}",
            delta=_ecart(difference, genre), inverse=inverse,
            aide=f"{lignes.at[cle, 'libelle']} : {_formater(avant, genre)} le {date_a}, {_formater(apres, genre)} le {date_b}.",
        ))
    return cartes


def comptes_changements(evolution: Evolution) -> dict[str, int]:
    return {
        "Ouverts": len(evolution.ouverts), "Fermés": len(evolution.fermes),
        "Déplacés": len(evolution.deplaces), "Modifiés": evolution.nb_modifies,
    }


def valeurs_liste(table: pd.DataFrame, colonne: str) -> list[str]:
    """Distinct values of a list column ("a|b") of the changes table, sorted, for a filter."""
    valeurs = {v for cellule in table[colonne].astype(str) for v in split_list(cellule)}
    return sorted(valeurs, key=normalize_name)


def filtrer_changements(
    table: pd.DataFrame,
    types: list[str] | None = None,
    familles: list[str] | None = None,
    dispositifs: list[str] | None = None,
    commune: str = "",
) -> pd.DataFrame:
    """Rows of `table_changements` of the chosen kinds of change, families and dispositifs (any when
    empty) whose commune (name or code) contains `commune`, accents and case aside."""
    garder = pd.Series(True, index=table.index)
    if types:
        garder &= table["Changement"].isin(types)
    if familles:
        garder &= table["Famille"].isin(familles)
    if dispositifs:
        voulus = set(dispositifs)
        garder &= np.array([bool(voulus & set(split_list(v))) for v in table["Dispositifs"].astype(str)], dtype=bool)
    texte = normalize_name(commune or "")
    if texte:
        noms = table["Commune"].astype(str).map(normalize_name)
        garder &= noms.str.contains(texte, regex=False) | table["Code commune"].astype(str).str.startswith(commune.strip())
    return table[garder].reset_index(drop=True)
