"""Charts of the « Évolution » page (plotly): openings and closures between two pictures, by dispositif
or by typologie, side by side.

Labels from the data are escaped before they enter a figure (plotly reads them as HTML) and never go
into a hover template; colours and bar patterns tell openings and closures apart without colour.
"""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from ..evolution import Evolution
from .format import nombre

# Okabe–Ito bluish green and vermillion: the map's colours for opened and closed places (checked
# with `daltonisme.palette_distinguable`); closures are also hatched.
COULEUR_OUVERTS = "#009E73"
COULEUR_FERMES = "#D55E00"
PALETTE = (COULEUR_OUVERTS, COULEUR_FERMES)
NIVEAUX = {"dispositif": "Dispositif", "typologie": "Typologie"}
_SEPARATEURS = ",\u202f"  # French decimal and thousands separators


def _texte(valeur) -> str:
    return html.escape(str(valeur), quote=False)


def comptes_ouvertures(evolution: Evolution, niveau: str = "dispositif") -> pd.DataFrame:
    """Rows of `par_dispositif` / `par_typologie` with at least one opening or closure, most first."""
    if niveau not in NIVEAUX:
        raise ValueError(f"Niveau inconnu « {niveau} » : choisissez parmi {', '.join(NIVEAUX)}.")
    table = evolution.par_dispositif if niveau == "dispositif" else evolution.par_typologie
    table = table[(table["ouverts"] > 0) | (table["fermes"] > 0)]
    ordre = (table["ouverts"] + table["fermes"]).sort_values(ascending=False, kind="stable").index
    return table.loc[ordre, [niveau, "ouverts", "fermes"]].reset_index(drop=True)


def figure_ouvertures(evolution: Evolution, niveau: str = "dispositif") -> go.Figure:
    """Horizontal grouped bars: places opened and closed between the two pictures, per dispositif
    (or typologie); a place under several counts under each."""
    table = comptes_ouvertures(evolution, niveau)
    libelle = NIVEAUX[niveau]
    positions = list(range(len(table)))
    fig = go.Figure()
    for colonne, nom, couleur, motif in (
        ("ouverts", "Lieux ouverts", COULEUR_OUVERTS, ""), ("fermes", "Lieux fermés", COULEUR_FERMES, "/"),
    ):
        valeurs = table[colonne].astype(int).tolist()
        survols = [f"{_texte(c)} : {nombre(v)} {nom.lower()}" for c, v in zip(table[niveau], valeurs)]
        fig.add_trace(go.Bar(
            name=nom, x=valeurs, y=positions, orientation="h", marker={"color": couleur, "pattern": {"shape": motif}},
            text=[nombre(v) for v in valeurs], textposition="outside", cliponaxis=False,
            customdata=survols, hovertemplate="%{customdata}<extra></extra>",
        ))
    plus_grand = int(table[["ouverts", "fermes"]].to_numpy().max()) if len(table) else 0
    fig.update_yaxes(
        title=libelle, tickvals=positions, ticktext=[_texte(c) for c in table[niveau]], autorange="reversed", automargin=True,
    )
    fig.update_xaxes(title="Nombre de lieux", range=[0, max(plus_grand, 1) * 1.2], rangemode="tozero")
    a, b = evolution.avant, evolution.apres
    titre = f"Lieux ouverts et fermés par {libelle.lower()}"
    sous_titre = f"Entre la photo du {_date(a['date'])} et celle du {_date(b['date'])}"
    if table.empty:
        fig.add_annotation(text="Aucune ouverture ni fermeture entre ces deux photos.", showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)
        fig.update_yaxes(visible=False)
    fig.update_layout(
        title={"text": _texte(titre), "subtitle": {"text": _texte(sous_titre)}},
        template="plotly_white", separators=_SEPARATEURS, barmode="group", bargap=0.25,
        height=160 + 52 * max(len(table), 2), margin={"l": 10, "r": 30, "t": 80, "b": 40},
        # On the right, apart from the title's subtitle.
        legend={"yanchor": "top", "y": 1.0, "traceorder": "normal"},
    )
    return fig


def _date(jour: str) -> str:
    jour = str(jour or "")
    return f"{jour[8:10]}/{jour[5:7]}/{jour[:4]}" if len(jour) >= 10 else "date inconnue"
