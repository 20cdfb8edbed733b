"""Readable colours for the local map: the organisation's colours are kept where they only decorate, and
replaced where they carry text or markers by the nearest colour (same hue, darker) that meets WCAG 2.1 AA.

Each replacement is said to the user in one French sentence (`Theme.corrections`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .securite import CONTRASTE_GRAPHIQUE, CONTRASTE_TEXTE, contraste, valider_couleur

BLANC = "#ffffff"
# The page's dark text colour (style.css): 16.5:1 on white.
SOMBRE = "#1e1e1e"
NOIR = "#000000"
# The map's background without tiles (style.css .leaflet-container): the markers sit on it.
FOND_CARTE = "#eef2f5"


@dataclass(frozen=True)
class Theme:
    """The colours theme.css writes.

    couleur : the main colour as chosen, background of the title bar and of the reset button.
    sur_couleur : text on that background, white or dark, whichever reads best (always ≥ 4.5:1).
    couleur_texte : the main colour as text on white (names, headings, button labels), darkened if needed.
    secondaire : the markers' colour on the map, darkened if it did not stand out (≥ 3:1).
    sur_secondaire : the count written on a cluster of markers (≥ 4.5:1 on `secondaire`).
    corrections : one French sentence for each colour that was replaced.
    """

    couleur: str
    sur_couleur: str
    couleur_texte: str
    secondaire: str
    sur_secondaire: str
    corrections: list[str] = field(default_factory=list)


def texte_lisible(fond: str) -> str:
    """White or dark text on `fond`, whichever contrasts more; pure black on the mid tones where neither the
    page's dark grey nor white reaches 4.5:1 (white or black always does: the larger of the two is ≥ 4.58:1)."""
    meilleur = BLANC if contraste(BLANC, fond) >= contraste(SOMBRE, fond) else SOMBRE
    if contraste(meilleur, fond) >= CONTRASTE_TEXTE:
        return meilleur
    return BLANC if contraste(BLANC, fond) >= contraste(NOIR, fond) else NOIR


def assombrir(couleur: str, fond: str, minimum: float) -> str:
    """`couleur` mixed with black just enough to reach `minimum` contrast on the lighter `fond`.

    The colour itself when it already does. The mix keeps the hue; the smallest darkening is found by
    bisection, then the rounded hex colour is checked again.
    """
    couleur = valider_couleur(couleur)
    if contraste(couleur, fond) >= minimum:
        return couleur
    canaux = [int(couleur[i : i + 2], 16) for i in (1, 3, 5)]

    def melange(t: float) -> str:
        return "#" + "".join(f"{round(c * (1 - t)):02x}" for c in canaux)

    bas, haut = 0.0, 1.0
    for _ in range(30):
        milieu = (bas + haut) / 2
        if contraste(melange(milieu), fond) >= minimum:
            haut = milieu
        else:
            bas = milieu
    resultat = melange(haut)
    while contraste(resultat, fond) < minimum:  # rounding to 8 bits may fall just short
        haut = min(1.0, haut + 1 / 255)
        resultat = melange(haut)
    return resultat


def theme_lisible(couleur: str, couleur_secondaire: str) -> Theme:
    """The theme of the page for the chosen colours, with the replacements said in French."""
    couleur = valider_couleur(couleur, "couleur principale")
    secondaire_choisie = valider_couleur(couleur_secondaire, "couleur secondaire")
    corrections = []
    sur_couleur = texte_lisible(couleur)
    if sur_couleur != BLANC:
        corrections.append(
            f"Le texte blanc sur la couleur principale {couleur} aurait été peu lisible "
            f"(contraste {contraste(BLANC, couleur):.1f}:1, il faut au moins {CONTRASTE_TEXTE}:1) : "
            f"la barre de titre et le bouton sont écrits en noir (contraste {contraste(sur_couleur, couleur):.1f}:1)."
        )
    couleur_texte = assombrir(couleur, BLANC, CONTRASTE_TEXTE)
    if couleur_texte != couleur:
        corrections.append(
            f"Les noms des lieux et les titres sont écrits en {couleur_texte}, une teinte plus foncée de la couleur "
            f"principale {couleur} (contraste {contraste(couleur_texte, BLANC):.1f}:1 sur fond blanc au lieu de "
            f"{contraste(couleur, BLANC):.1f}:1)."
        )
    secondaire = assombrir(secondaire_choisie, FOND_CARTE, CONTRASTE_GRAPHIQUE)
    if secondaire != secondaire_choisie:
        corrections.append(
            f"Les repères sont dessinés en {secondaire}, une teinte plus foncée de la couleur secondaire "
            f"{secondaire_choisie}, qui se distinguait mal du fond clair de la carte "
            f"(contraste {contraste(secondaire_choisie, FOND_CARTE):.1f}:1, il faut au moins {CONTRASTE_GRAPHIQUE}:1)."
        )
    return Theme(
        couleur=couleur,
        sur_couleur=sur_couleur,
        couleur_texte=couleur_texte,
        secondaire=secondaire,
        sur_secondaire=texte_lisible(secondaire),
        corrections=corrections,
    )


def corrections_couleurs(couleur: str, couleur_secondaire: str) -> list[str]:
    """What the page changes in the chosen colours to stay readable, in French ([] when nothing)."""
    return theme_lisible(couleur, couleur_secondaire).corrections
