"""The report cut into pages, the same for the slides and the printed pages: a cover, « À retenir », then
one page per map, chart or table of each section (the section's text on its first page), and the
sources. Every page has a title, a number and a footer line with its source and date.

Sizes the writers share live here, so that the text in images is known in points once placed:
a chart is LARGEUR_GRAPHIQUE_PX wide (contenu), the map is drawn at its placed size in inches.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .modele import Graphique, Section, Tableau

# The map at the size it is placed: a landscape A4 page inside 10 mm margins (277 × 190 mm) less its
# title and footer; a 16:9 slide (13.33 × 7.5 in) less its title and footer. Both ≥ 60 % of the page.
CARTE_PAGE_POUCES = (10.9, 5.9)
CARTE_DIAPO_POUCES = (12.3, 5.6)


@dataclass
class Page:
    """One page (or slide) of the report."""

    genre: str  # "couverture", "retenir", "section" or "sources"
    titre: str
    source: str
    textes: list[str] = field(default_factory=list)
    graphique: Graphique | None = None
    tableau: Tableau | None = None
    section: Section | None = None
    carte: bool = False  # the page shows its section's map
    numero: int = 0
    total: int = 0

    @property
    def paysage(self) -> bool:
        return self.carte

    @property
    def pied(self) -> str:
        return f"{self.source} · Page {self.numero} sur {self.total}"


def pages(contenu) -> list[Page]:
    """The pages of `contenu` (a contenu.Contenu), numbered."""
    liste = [Page("couverture", contenu.territoire, contenu.source)]
    if contenu.a_retenir:
        liste.append(Page("retenir", "À retenir", contenu.source))
    for section in contenu.sections:
        blocs: list[dict] = []
        if section.carte is not None:
            blocs.append({"carte": True})
        blocs += [{"graphique": g} for g in section.graphiques]
        blocs += [{"tableau": t} for t in section.tableaux]
        textes = [t for t in section.textes if t]
        if not blocs:
            liste.append(Page("section", section.titre, section.source, textes=textes, section=section))
            continue
        for i, bloc in enumerate(blocs):
            source = section.source
            if bloc.get("graphique") is not None and bloc["graphique"].source:
                source = bloc["graphique"].source
            if bloc.get("tableau") is not None and bloc["tableau"].source:
                source = bloc["tableau"].source
            liste.append(Page(
                "section", section.titre if i == 0 else f"{section.titre} (suite)", source,
                textes=textes if i == 0 else [], section=section, **bloc,
            ))
    liste.append(Page("sources", "Sources et dates", contenu.source))
    for i, page in enumerate(liste, start=1):
        page.numero, page.total = i, len(liste)
    return liste
