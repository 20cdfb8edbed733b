"""What a report chart says in words and numbers: its data as a table (slide notes, the HTML's text
alternative) and a one-sentence description; and its fonts raised to a size readable once the image is
projected or printed."""
from __future__ import annotations

import math
import re

import plotly.graph_objects as go

from ..views.format import nombre

MAX_VALEURS_PHRASE = 4  # values named in a chart's one-sentence description
_BALISES = re.compile(r"<[^>]+>")


def texte_brut(texte) -> str:
    """Plotly's HTML-like label as plain text ("<b>a</b><br>b" → "a b"); entities decoded."""
    import html

    return html.unescape(_BALISES.sub(" ", str(texte or ""))).replace("\u00a0", " ").strip().replace("  ", " ")


def titre(fig: go.Figure) -> str:
    return texte_brut(fig.layout.title.text)


def donnees(fig: go.Figure) -> tuple[list[str], list[list[str]]]:
    """The chart's data: column headers and rows of French text, one row per category.

    Bars and lines are read the same way: categories on one axis (tick labels when the chart uses
    positions), values on the other; a trace's own text labels (already French-formatted) win over
    its raw numbers.
    """
    traces = [t for t in fig.data if t.type in ("bar", "scatter") and (t.x is not None or t.y is not None)]
    if not traces:
        return [], []
    horizontale = getattr(traces[0], "orientation", None) == "h"
    axe = fig.layout.yaxis if horizontale else fig.layout.xaxis
    libelles_axe = {}
    if axe.tickvals is not None and axe.ticktext is not None:
        libelles_axe = {v: texte_brut(t) for v, t in zip(axe.tickvals, axe.ticktext)}
    titre_axe = texte_brut((fig.layout.xaxis if horizontale else fig.layout.yaxis).title.text)
    entetes = [texte_brut(axe.title.text) or "Catégorie"]
    colonnes: list[dict[str, str]] = []
    ordre: list[str] = []
    for i, trace in enumerate(traces):
        categories = list(trace.y if horizontale else trace.x) if (trace.y if horizontale else trace.x) is not None else []
        valeurs = list(trace.x if horizontale else trace.y) if (trace.x if horizontale else trace.y) is not None else []
        textes = list(trace.text) if isinstance(trace.text, (list, tuple)) else []
        nom = texte_brut(trace.name) or titre_axe or f"Série {i + 1}"
        entetes.append(nom)
        colonne = {}
        for j, (c, v) in enumerate(zip(categories, valeurs)):
            cle = libelles_axe.get(c, texte_brut(c))
            if cle not in colonne and cle not in ordre:
                ordre.append(cle)
            colonne[cle] = texte_brut(textes[j]) if j < len(textes) and textes[j] not in (None, "") else _valeur(v)
        colonnes.append(colonne)
    lignes = [[cle, *(c.get(cle, "—") for c in colonnes)] for cle in ordre]
    return entetes, lignes


def phrase(fig: go.Figure) -> str:
    """One sentence saying what the chart shows: its title, then its first values."""
    entetes, lignes = donnees(fig)
    debut = titre(fig) or "Graphique"
    if not lignes:
        return f"{debut}."
    valeurs = " ; ".join(f"{l[0]} : {', '.join(l[1:])}" for l in lignes[:MAX_VALEURS_PHRASE])
    reste = len(lignes) - MAX_VALEURS_PHRASE
    suite = f" ; et {nombre(reste)} autres valeurs" if reste > 0 else ""
    return f"{debut}. {valeurs}{suite}."


def agrandir(fig: go.Figure, minimum: int, largeur_px: int = 900) -> go.Figure:
    """A copy of `fig` where no text is smaller than `minimum` pixels: the base font, titles, subtitle,
    axes, legend, annotations and bar labels.

    Why pixels and a fixed image width: the writers place each image at a known size, so a pixel
    becomes a known fraction of a point on the slide or the page (see `mise_en_page`).
    """
    out = go.Figure(fig)
    base = out.layout.font.size or 12
    # Bar labels that would have to shrink below the minimum to fit are hidden instead: the data are
    # in the slide notes and the HTML's table.
    out.update_layout(font={"size": max(base, minimum)}, uniformtext={"minsize": minimum, "mode": "hide"})

    def monter(police) -> dict:
        return {"size": max(police.size or minimum, minimum)}

    # The subtitle (the source line) re-cut to the image's width at its new size: it would be cut off.
    sous_titre, ajoutees = _recouper(out.layout.title.subtitle.text, largeur_px // int(minimum * 0.55))
    out.update_layout(
        title={"font": {"size": max(out.layout.title.font.size or 0, int(minimum * 1.25))},
               "subtitle": {"font": monter(out.layout.title.subtitle.font), "text": sous_titre}},
        legend={"font": monter(out.layout.legend.font)},
        margin={"t": (out.layout.margin.t if out.layout.margin.t is not None else 80) + ajoutees * int(minimum * 1.3)},
        height=(out.layout.height or 500) + ajoutees * int(minimum * 1.3),
    )
    for nom in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        axe = out.layout[nom] if nom in out.layout else None
        if axe is not None:
            out.layout[nom].update(tickfont=monter(axe.tickfont), title={"font": monter(axe.title.font)})
    # Titles grown from ~12 to `minimum` px need room above the plot in proportion.
    haut = out.layout.margin.t if out.layout.margin.t is not None else 80
    supplement = int(haut * (minimum / 12 - 1))
    out.update_layout(margin={"t": haut + supplement}, height=(out.layout.height or 500) + supplement)
    legende = out.layout.legend
    if legende.orientation == "h" and (legende.y is None or legende.y < 0):
        # A legend under the plot, placed relative to the plot, would land on the grown axis title: pin it
        # to the image's bottom edge and make room for two rows of it.
        bas = out.layout.margin.b if out.layout.margin.b is not None else 80
        place = 2 * (minimum + 12)
        out.update_layout(legend={"yref": "container", "y": 0, "yanchor": "bottom"}, margin={"b": bas + place},
                          height=out.layout.height + place)
    for annotation in out.layout.annotations or ():
        annotation.update(font=monter(annotation.font))
    for trace in out.data:
        if hasattr(trace, "textfont"):
            trace.update(textfont=monter(trace.textfont))
        if hasattr(trace, "insidetextfont"):
            trace.update(insidetextfont=monter(trace.insidetextfont), outsidetextfont=monter(trace.outsidetextfont))
    return out


def _recouper(texte, caracteres: int) -> tuple[str | None, int]:
    """`texte` (lines joined by <br>) with every line longer than `caracteres` cut at spaces; and how
    many lines were added."""
    if not texte:
        return texte, 0
    lignes = []
    for ligne in str(texte).split("<br>"):
        courante = ""
        for mot in ligne.split(" "):
            if courante and len(courante) + 1 + len(mot) > caracteres:
                lignes.append(courante)
                courante = mot
            else:
                courante = f"{courante} {mot}" if courante else mot
        lignes.append(courante)
    return "<br>".join(lignes), len(lignes) - 1 - str(texte).count("<br>")


def _valeur(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return "—"
        return nombre(v, 0 if float(v).is_integer() else 2)
    return texte_brut(v)
