"""The report cut into pages, the same for the slides and the printed pages: a cover, « À retenir », then
one page per map, chart or table of each section (the section's text on its first page), and the
sources. Every page has a title, a number and a footer line with its source and date.

Sizes the writers share live here, so that the text in images is known in points once placed:
a chart is LARGEUR_GRAPHIQUE_PX wide, the map is drawn at its placed size in inches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .modele import Graphique, Section, Tableau

# The map at the size it is placed: a landscape A4 page inside 10 mm margins (277 × 190 mm) less its
# title and footer; a 16:9 slide (13.33 × 7.5 in) less its title and footer. Both ≥ 60 % of the page.
CARTE_PAGE_POUCES = (10.9, 5.6)
CARTE_DIAPO_POUCES = (12.3, 5.6)

# Charts are drawn LARGEUR_GRAPHIQUE_PX wide with no text under POLICE_GRAPHIQUE_PX (SVG, printed page:
# 190 mm wide, a pixel is 0.6 pt, text ≥ 10.7 pt) or POLICE_DIAPO_PX (PNG, slides: the deck places a
# chart at ≥ 0.5 pt a pixel, so text ≥ 12 pt projected; see pptx.py).
LARGEUR_GRAPHIQUE_PX = 900
POLICE_GRAPHIQUE_PX = 18
POLICE_DIAPO_PX = 24


# Printed A4 page: the height (mm) its blocks may take below the title and above the footer, and
# rough heights of what goes in it (11 pt text about 100 characters a line, 10 pt table rows).
HAUTEUR_UTILE_MM = 228
LARGEUR_UTILE_MM = 190
_LIGNE_MM, _CARACTERES_LIGNE = 5.2, 100
_TITRE_TABLEAU_MM, _RANG_MM, _CARACTERES_CELLULE = 9, 4.6, 24


@dataclass
class Page:
    """One page (or slide) of the report: a title, the section's text on its first page, then blocks
    (the map, charts, tables), one a slide, as many as fit on a printed page."""

    genre: str  # "couverture", "retenir", "section" or "sources"
    titre: str
    source: str
    textes: list[str] = field(default_factory=list)
    blocs: list = field(default_factory=list)  # Graphique, Tableau, or CARTE for the section's map
    section: Section | None = None
    numero: int = 0
    total: int = 0

    @property
    def carte(self) -> bool:
        return CARTE in self.blocs

    @property
    def graphique(self) -> Graphique | None:
        return next((b for b in self.blocs if isinstance(b, Graphique)), None)

    @property
    def tableau(self) -> Tableau | None:
        return next((b for b in self.blocs if isinstance(b, Tableau)), None)

    @property
    def paysage(self) -> bool:
        return self.carte


CARTE = "carte"


def pages(contenu, support: str = "diapo") -> list[Page]:
    """The pages of `contenu` (a contenu.Contenu), numbered: `support` "diapo" puts one block a slide,
    "page" fills printed A4 pages with as many blocks as fit (the map alone on a landscape page)."""
    liste = [Page("couverture", contenu.territoire, contenu.source)]
    if contenu.a_retenir:
        liste.append(Page("retenir", "À retenir", contenu.source))
    for section in contenu.sections:
        blocs: list = [CARTE] if section.carte is not None else []
        blocs += list(section.graphiques) + list(section.tableaux)
        textes = [t for t in section.textes if t]
        groupes = _groupes(blocs, textes) if support == "page" else [[b] for b in blocs] or [[]]
        for i, groupe in enumerate(groupes):
            sources = [b.source for b in groupe if isinstance(b, (Graphique, Tableau)) and b.source]
            source = max(sources, key=len) if sources else section.source  # the longest names them all
            liste.append(Page(
                "section", section.titre if i == 0 else f"{section.titre} (suite)", source,
                textes=textes if i == 0 else [], blocs=groupe, section=section,
            ))
    liste.append(Page("sources", "Sources et dates", contenu.source))
    for i, page in enumerate(liste, start=1):
        page.numero, page.total = i, len(liste)
    return liste


def _groupes(blocs: list, textes: list[str]) -> list[list]:
    """Blocks packed into printed pages in order; the map always alone."""
    groupes: list[list] = []
    courant: list = []
    reste = HAUTEUR_UTILE_MM - sum(_hauteur_texte(t) for t in textes)
    for bloc in blocs:
        if bloc == CARTE:
            if courant:
                groupes.append(courant)
            groupes.append([CARTE])
            courant, reste = [], HAUTEUR_UTILE_MM
            continue
        h = _hauteur(bloc)
        if courant and h > reste:
            groupes.append(courant)
            courant, reste = [], HAUTEUR_UTILE_MM
        courant.append(bloc)
        reste -= h
    if courant or not groupes:
        groupes.append(courant)
    return groupes


def _hauteur_texte(texte: str) -> float:
    return (1 + len(texte) // _CARACTERES_LIGNE) * _LIGNE_MM + 2.5


def _hauteur(bloc) -> float:
    if isinstance(bloc, Graphique):
        from .donnees_graphiques import agrandir

        hauteur_px = agrandir(bloc.figure, POLICE_GRAPHIQUE_PX).layout.height or 500
        return hauteur_px * LARGEUR_UTILE_MM / LARGEUR_GRAPHIQUE_PX + _hauteur_texte(bloc.source) + 4
    colonnes = max(len(bloc.colonnes), 1)
    largeur = _CARACTERES_CELLULE * 6 / colonnes  # characters a cell holds on one line

    def rang(cellules) -> float:
        return max(1 + len(str(c)) // max(int(largeur), 4) for c in cellules) * _RANG_MM + 2.6

    hauteur = _TITRE_TABLEAU_MM + rang(bloc.colonnes) + sum(rang(l) for l in bloc.lignes)
    return hauteur + (_hauteur_texte(bloc.note) if bloc.note else 0) + 4
