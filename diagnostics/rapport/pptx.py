"""The territory report as a 16:9 PowerPoint deck (python-pptx): title, key figures against the parents,
static map, charts (at most two a slide), white zones and priorities, data quality, sources and dates."""
from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from .contenu import Contenu, Section, Tableau, type_logo

LARGEUR, HAUTEUR = Emu(12_192_000), Emu(6_858_000)  # 13.333 × 7.5 in, exactly 16:9
MARGE = Inches(0.5)
BLEU = RGBColor(0x00, 0x00, 0x91)
GRIS = RGBColor(0x66, 0x66, 0x66)
MISE_EN_PAGE_VIDE = 6  # "Blank" layout of the default template


def presentation(contenu: Contenu, logo: bytes | None = None) -> bytes:
    """The deck as .pptx bytes; `logo` (PNG or JPEG bytes) goes on the title slide.

    Raises
    ------
    images.ImagesIndisponibles : the charts could not be drawn (no Chromium).
    contenu.LogoIllisible : the logo is neither PNG nor JPEG.
    """
    if logo:
        type_logo(logo)
    dessins = contenu.images("png")
    prs = Presentation()
    prs.slide_width, prs.slide_height = LARGEUR, HAUTEUR
    _titre(prs, contenu, logo)
    for section in contenu.sections:
        _section(prs, contenu, section, dessins)
    _sources(prs, contenu)
    tampon = io.BytesIO()
    prs.save(tampon)
    return tampon.getvalue()


def _diapo(prs, contenu: Contenu, titre: str):
    diapo = prs.slides.add_slide(prs.slide_layouts[MISE_EN_PAGE_VIDE])
    _texte(diapo, titre, MARGE, Inches(0.3), LARGEUR - 2 * MARGE, Inches(0.7), taille=28, gras=True, couleur=BLEU)
    _texte(
        diapo, f"{contenu.territoire} · {contenu.titre} · {contenu.date_edition}", MARGE, HAUTEUR - Inches(0.4),
        LARGEUR - 2 * MARGE, Inches(0.3), taille=10, couleur=GRIS,
    )
    return diapo


def _texte(diapo, texte: str, x, y, l, h, *, taille: int = 14, gras: bool = False, couleur=None) -> None:
    boite = diapo.shapes.add_textbox(x, y, l, h)
    cadre = boite.text_frame
    cadre.word_wrap = True
    for i, ligne in enumerate(texte.split("\n")):
        paragraphe = cadre.paragraphs[0] if i == 0 else cadre.add_paragraph()
        paragraphe.text = ligne
        paragraphe.font.size = Pt(taille)
        paragraphe.font.bold = gras
        if couleur is not None:
            paragraphe.font.color.rgb = couleur


def _titre(prs, contenu: Contenu, logo: bytes | None) -> None:
    diapo = prs.slides.add_slide(prs.slide_layouts[MISE_EN_PAGE_VIDE])
    _texte(diapo, contenu.titre, MARGE, Inches(2.2), Inches(10), Inches(0.8), taille=24, couleur=GRIS)
    _texte(diapo, contenu.territoire, MARGE, Inches(2.9), Inches(12), Inches(1.2), taille=44, gras=True, couleur=BLEU)
    _texte(diapo, contenu.sous_titre, MARGE, Inches(4.1), Inches(12), Inches(0.6), taille=18)
    _texte(diapo, f"Édité le {contenu.date_edition}\n{contenu.source}", MARGE, Inches(5.6), Inches(12), Inches(0.9),
           taille=12, couleur=GRIS)
    if logo:
        image = diapo.shapes.add_picture(io.BytesIO(logo), LARGEUR - MARGE - Inches(2.5), Inches(0.5), height=Inches(1.2))
        if image.width > Inches(3):  # a wide logo: bound its width instead
            ratio = Inches(3) / image.width
            image.width, image.height = Inches(3), int(image.height * ratio)
            image.left = LARGEUR - MARGE - image.width


def _section(prs, contenu: Contenu, section: Section, dessins: dict[str, bytes]) -> None:
    haut = Inches(1.1)
    bas = HAUTEUR - Inches(0.5)
    if section.carte is not None:
        diapo = _diapo(prs, contenu, section.titre)
        _image(diapo, section.carte, MARGE, haut, LARGEUR - 2 * MARGE, bas - haut - Inches(0.6))
        _texte(diapo, " ".join(section.textes), MARGE, bas - Inches(0.6), LARGEUR - 2 * MARGE, Inches(0.6), taille=12)
        return
    if section.graphiques:
        # Two charts side by side a slide; the section's text under them on the first one only.
        for i in range(0, len(section.graphiques), 2):
            paire = section.graphiques[i:i + 2]
            diapo = _diapo(prs, contenu, section.titre if i == 0 else f"{section.titre} (suite)")
            texte = " ".join(t for t in section.textes if t) if i == 0 else ""
            hauteur = bas - haut - (Inches(1.0) if texte else 0)
            largeur = (LARGEUR - 2 * MARGE - Inches(0.3) * (len(paire) - 1)) / len(paire)
            for j, graphique in enumerate(paire):
                _image(diapo, dessins[graphique.cle], MARGE + j * (largeur + Inches(0.3)), haut, largeur, hauteur)
            if texte:
                _texte(diapo, _court(texte, 600), MARGE, bas - Inches(1.0), LARGEUR - 2 * MARGE, Inches(1.0), taille=11)
    tableaux = section.tableaux
    if tableaux:
        diapo = _diapo(prs, contenu, section.titre if not section.graphiques else f"{section.titre} : tableaux")
        y = haut
        if section.textes and not section.graphiques:
            _texte(diapo, _court(" ".join(section.textes), 700), MARGE, y, LARGEUR - 2 * MARGE, Inches(0.9), taille=13)
            y += Inches(1.0)
        largeur = (LARGEUR - 2 * MARGE - Inches(0.3) * (len(tableaux) - 1)) / len(tableaux)
        for j, tableau in enumerate(tableaux):
            _tableau(diapo, tableau, MARGE + j * (largeur + Inches(0.3)), y, largeur, bas - y)


def _image(diapo, donnees: bytes, x, y, largeur, hauteur) -> None:
    """The picture fitted in the box, aspect ratio kept, centred horizontally."""
    image = diapo.shapes.add_picture(io.BytesIO(donnees), x, y)
    ratio = min(largeur / image.width, hauteur / image.height)
    image.width, image.height = int(image.width * ratio), int(image.height * ratio)
    image.left = int(x + (largeur - image.width) / 2)


def _tableau(diapo, tableau: Tableau, x, y, largeur, hauteur) -> None:
    _texte(diapo, tableau.titre, x, y, largeur, Inches(0.4), taille=14, gras=True)
    y += Inches(0.45)
    lignes = len(tableau.lignes) + 1
    taille = 11 if lignes <= 10 else 9
    hauteur_ligne = Inches(0.3 if taille == 11 else 0.24)
    forme = diapo.shapes.add_table(lignes, len(tableau.colonnes), x, y, Emu(int(largeur)), hauteur_ligne * lignes)
    grille = forme.table
    for i, ligne in enumerate([tableau.colonnes, *tableau.lignes]):
        for j, valeur in enumerate(ligne):
            cellule = grille.cell(i, j)
            cellule.text = _court(str(valeur), 120)
            for paragraphe in cellule.text_frame.paragraphs:
                paragraphe.font.size = Pt(taille)
                paragraphe.font.bold = i == 0
    if tableau.note:
        bas_tableau = y + hauteur_ligne * lignes + Inches(0.1)
        _texte(diapo, _court(tableau.note, 500), x, bas_tableau, largeur, Inches(0.6), taille=9, couleur=GRIS)


def _sources(prs, contenu: Contenu) -> None:
    diapo = _diapo(prs, contenu, "Sources et dates")
    texte = "\n".join([f"Document édité le {contenu.date_edition}.", *contenu.sources])
    _texte(diapo, texte, MARGE, Inches(1.1), LARGEUR - 2 * MARGE, Inches(5.8), taille=13)


def _court(texte: str, n: int) -> str:
    return texte if len(texte) <= n else texte[: n - 1].rstrip() + "…"
