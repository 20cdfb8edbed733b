"""The building blocks of a report's content: charts, tables and sections (no layout here)."""
from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from . import donnees_graphiques

MAX_LIGNES_TABLEAU = 10  # rows of a table on a slide or a page (12 pt text); the indicator tables hold them all


@dataclass
class Graphique:
    """A chart of the report, already signed with its source line."""

    cle: str
    figure: go.Figure
    largeur: int = 1000
    source: str = ""

    @property
    def titre(self) -> str:
        return donnees_graphiques.titre(self.figure)

    @property
    def donnees(self) -> tuple[list[str], list[list[str]]]:
        """Headers and rows of the chart's data (French text): slide notes, HTML text alternative."""
        return donnees_graphiques.donnees(self.figure)

    @property
    def phrase(self) -> str:
        return donnees_graphiques.phrase(self.figure)

    @property
    def hauteur(self) -> int:
        return int(self.figure.layout.height or 500)


@dataclass
class Tableau:
    """A table of French text cells (numbers already formatted)."""

    titre: str
    colonnes: list[str]
    lignes: list[list[str]]
    note: str = ""
    source: str = ""


@dataclass
class Section:
    titre: str
    textes: list[str] = field(default_factory=list)
    graphiques: list[Graphique] = field(default_factory=list)
    tableaux: list[Tableau] = field(default_factory=list)
    carte: bytes | None = None  # PNG of the static map, drawn for the PDF/HTML page
    carte_diapo: bytes | None = None  # the same map drawn at the slide's size
    source: str = ""  # footer line of the section's pages and slides
