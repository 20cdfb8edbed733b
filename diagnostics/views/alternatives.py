"""Text alternative of a plotly chart: one French sentence and the chart's data as a table, for readers who
cannot see the chart (screen readers, high zoom) — WCAG 1.1.1. Built from the figure itself, so that the
words always say what the chart draws.

Handles the traces our charts use: bars (vertical or horizontal) and scatter lines/points.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .format import nombre

MAX_LIGNES_PHRASE = 3  # categories named in the sentence


@dataclass(frozen=True)
class Alternative:
    """phrase : what the chart shows, in one or two sentences. table : one row per category or x value,
    one column per series (the series' name as the chart's legend says it)."""

    phrase: str
    table: pd.DataFrame

    def table_texte(self) -> pd.DataFrame:
        """The table with its numbers written the French way (12 345 ; 1,5), for display."""
        if self.table.empty:
            return self.table
        texte = self.table.copy()
        for colonne in texte.columns[1:]:
            texte[colonne] = texte[colonne].map(_valeur)
        texte[texte.columns[0]] = texte[texte.columns[0]].map(_texte)
        return texte


def _texte(valeur) -> str:
    # Titles may carry <b>, <br> or <sup> for plotly's layout: text only here.
    texte = re.sub(r"<br\s*/?>", " ", "" if valeur is None else str(valeur), flags=re.I)
    # Plotly reads labels as HTML: its own markup is dropped, escaped text from the data becomes text again.
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", texte)).strip())


def _titre_axe(fig: go.Figure, axe: str) -> str:
    titre = getattr(fig.layout, f"{axe}axis").title.text
    return _texte(titre)


def _series(fig: go.Figure) -> list[tuple[str, list, list, str, str]]:
    """(name, categories, values, category axis, value axis) of each drawn trace."""
    series = []
    for i, trace in enumerate(fig.data):
        if trace.type not in ("bar", "scatter") or trace.visible is False:
            continue
        horizontal = trace.type == "bar" and trace.orientation == "h"
        categories = list(trace.y if horizontal else trace.x) if (trace.y if horizontal else trace.x) is not None else []
        valeurs = list(trace.x if horizontal else trace.y) if (trace.x if horizontal else trace.y) is not None else []
        if not valeurs:
            continue
        if not categories:
            categories = list(range(1, len(valeurs) + 1))
        nom = _texte(trace.name) or (f"Série {i + 1}" if len(fig.data) > 1 else "Valeur")
        series.append((nom, categories, valeurs, "y" if horizontal else "x", "x" if horizontal else "y"))
    return series


def _valeur(v) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return _texte(v)
    if not np.isfinite(x):
        return "sans donnée"
    return nombre(x) if float(x).is_integer() else nombre(x, 1)


def alternative(fig: go.Figure) -> Alternative:
    """The sentence and the table of a bar or line chart (an empty table when it draws nothing)."""
    titre = _texte(fig.layout.title.text) or "Graphique"
    series = _series(fig)
    if not series:
        return Alternative(f"{titre} : le graphique ne contient aucune donnée.", pd.DataFrame())
    axe_categories, axe_valeurs = series[0][3], series[0][4]
    libelle_categories = _titre_axe(fig, axe_categories) or "Catégorie"
    libelle_valeurs = _titre_axe(fig, axe_valeurs)
    axe = getattr(fig.layout, f"{axe_categories}axis")
    # Categories drawn as positions with tick labels (so that equal labels never merge): say the labels.
    etiquettes = dict(zip(axe.tickvals, axe.ticktext)) if axe.tickvals is not None and axe.ticktext is not None else {}

    def libelle(c) -> str:
        return _texte(etiquettes.get(c, c))

    colonnes: dict[str, pd.Series] = {}
    for nom, categories, valeurs, _, _ in series:
        serie = pd.Series(pd.to_numeric(pd.Series(valeurs), errors="coerce").to_numpy(), index=list(categories))
        colonnes[nom] = serie[~serie.index.duplicated()]
    table = pd.DataFrame(colonnes)
    # Rows in the order a reader sees them: top to bottom (plotly draws a horizontal chart's first
    # category at the bottom unless its axis is reversed), left to right.
    ordre = list(dict.fromkeys(c for _, categories, *_ in series for c in categories))
    if axe_categories == "y" and axe.autorange != "reversed":
        ordre = ordre[::-1]
    table = table.reindex(ordre)
    table.insert(0, libelle_categories, [libelle(c) for c in table.index])
    table = table.reset_index(drop=True)

    nom, categories, valeurs, *_ = series[0]
    numeriques = pd.to_numeric(pd.Series(valeurs), errors="coerce")
    unite = f" ({libelle_valeurs})" if libelle_valeurs else ""
    if len(series) == 1 and numeriques.notna().any():
        tri = numeriques.sort_values(ascending=False, kind="stable")
        premiers = ", ".join(f"{libelle(categories[i])} : {_valeur(numeriques[i])}" for i in tri.index[:MAX_LIGNES_PHRASE])
        phrase = (
            f"{titre}. {len(numeriques)} valeur{'s' if len(numeriques) > 1 else ''} de « {libelle_categories} »{unite} ; "
            f"les plus élevées : {premiers}."
        )
        if len(numeriques) > MAX_LIGNES_PHRASE:
            i = tri.index[-1]
            phrase = phrase[:-1] + f" ; la plus basse : {libelle(categories[i])} : {_valeur(numeriques[i])}."
    else:
        noms = ", ".join(s[0] for s in series)
        phrase = (
            f"{titre}. {len(series)} séries ({noms}) sur {len(table)} valeurs de « {libelle_categories} »{unite} ; "
            "le détail est dans le tableau."
        )
    return Alternative(phrase, table)
