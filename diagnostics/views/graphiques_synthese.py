"""Key charts of the synthesis (plotly figures built from the diagnostic dict; no Streamlit)."""
from __future__ import annotations

import plotly.graph_objects as go

from .format import nombre, pourcentage

COULEURS_REPERES = {"territoire": "#000091", "departement": "#6A6AF4", "region": "#A5A5F0", "france": "#929292"}
POLICE = dict(family="Marianne, Arial, sans-serif", size=13)


def _mise_en_page(fig: go.Figure, titre: str) -> go.Figure:
    fig.update_layout(
        title=dict(text=titre, font=dict(size=15)), font=POLICE, separators=", ", template="plotly_white",
        margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h", y=-0.2),
    )
    return fig


def couverture_par_seuil(diag: dict) -> go.Figure:
    """Share of the population within each distance threshold: territory beside its parents."""
    series = [("territoire", diag["territoire"]["nom"], diag)]
    comparaison = diag.get("comparaison") or {}
    for cle in ("departement", "region", "france"):
        ref = comparaison.get(cle)
        if ref and ref.get("id") != diag["territoire"]["id"]:
            series.append((cle, ref["nom"], ref))
    fig = go.Figure()
    for cle, nom, d in series:
        parts = d.get("part_population_a_moins_de") or {}
        seuils = list(parts)
        fig.add_bar(
            name=nom, x=[f"{s} km" for s in seuils], y=[parts[s] for s in seuils],
            marker_color=COULEURS_REPERES[cle], text=[pourcentage(parts[s]) for s in seuils], textposition="outside",
            hovertemplate="%{x} : %{y:.1%}<extra>" + nom.replace("<", "&lt;") + "</extra>",
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1], title="part de la population")
    fig.update_xaxes(title="à moins de")
    return _mise_en_page(fig, "Habitants à moins de X km d'un lieu")


def population_par_classe_ifn(fragilite: dict) -> go.Figure:
    """Inhabitants by class of the Indice de fragilité numérique (7 classes, blue → red)."""
    classes = fragilite.get("classes") or []
    fig = go.Figure(
        go.Bar(
            x=[c["libelle"] for c in classes], y=[c["population"] for c in classes],
            marker_color=[c["couleur"] for c in classes],
            text=[nombre(c["population"]) for c in classes], textposition="outside",
            customdata=[c["n_communes"] for c in classes],
            hovertemplate="%{x} : %{y:,.0f} habitants, %{customdata} communes<extra></extra>",
        )
    )
    fig.update_yaxes(title="habitants")
    return _mise_en_page(fig, "Population par classe de fragilité numérique")
