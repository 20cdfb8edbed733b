"""The territory report as a 16:9 PowerPoint deck (python-pptx), one slide per page of `mise_en_page`:
real text boxes and native tables (editable in PowerPoint or Impress), charts as images with their data
in the slide's notes. No text under 12 pt; every slide has a title, a number and a source footer."""
from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from .contenu import Contenu, type_logo
from .mise_en_page import LARGEUR_GRAPHIQUE_PX, POLICE_DIAPO_PX
from .mise_en_page import CARTE_DIAPO_POUCES, Page, pages

LARGEUR, HAUTEUR = Emu(12_192_000), Emu(6_858_000)  # 13.333 × 7.5 in, exactly 16:9
MARGE = Inches(0.5)
BLEU = RGBColor(0x00, 0x00, 0x91)
GRIS = RGBColor(0x4D, 0x4D, 0x4D)  # 8.6:1 on white
FOND_CHIFFRE = RGBColor(0xEE, 0xEE, 0xF8)
MISE_EN_PAGE_VIDE = 6  # "Blank" layout of the default template
TAILLE_MIN = 12  # points: nothing smaller on a slide
HAUT = Inches(1.0)  # below the title
PIED = HAUTEUR - Inches(0.55)  # top of the footer
MAX_CARACTERES_TEXTE = 700


def presentation(contenu: Contenu, logo: bytes | None = None) -> bytes:
    """The deck as .pptx bytes; `logo` (PNG or JPEG bytes) goes on the cover.

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
    for page in pages(contenu):
        diapo = prs.slides.add_slide(prs.slide_layouts[MISE_EN_PAGE_VIDE])
        if page.genre == "couverture":
            _couverture(diapo, contenu, page, logo)
        else:
            _texte(diapo, page.titre, MARGE, Inches(0.25), LARGEUR - 2 * MARGE, Inches(0.7), taille=28, gras=True,
                   couleur=BLEU)
            {"retenir": _retenir, "sources": _sources, "section": _section}[page.genre](diapo, contenu, page, dessins)
        _pied(diapo, page)
    tampon = io.BytesIO()
    prs.save(tampon)
    return tampon.getvalue()


def _texte(diapo, texte: str, x, y, l, h, *, taille: int = 14, gras: bool = False, couleur=None,
           alignement=None):
    boite = diapo.shapes.add_textbox(x, y, l, h)
    cadre = boite.text_frame
    cadre.word_wrap = True
    for i, ligne in enumerate(texte.split("\n")):
        paragraphe = cadre.paragraphs[0] if i == 0 else cadre.add_paragraph()
        run = paragraphe.add_run()
        run.text = ligne
        run.font.size = Pt(max(taille, TAILLE_MIN))
        run.font.bold = gras
        if couleur is not None:
            run.font.color.rgb = couleur
        if alignement is not None:
            paragraphe.alignment = alignement
    return boite


def _pied(diapo, page: Page) -> None:
    _texte(diapo, page.source, MARGE, PIED, LARGEUR - 2 * MARGE - Inches(1.6), Inches(0.5), taille=12, couleur=GRIS)
    _texte(diapo, f"{page.numero} / {page.total}", LARGEUR - MARGE - Inches(1.5), PIED, Inches(1.5), Inches(0.5),
           taille=12, couleur=GRIS, alignement=PP_ALIGN.RIGHT)


def _couverture(diapo, contenu: Contenu, page: Page, logo: bytes | None) -> None:
    gauche = Inches(8.2)  # width of the text column; the miniature map on the right
    _texte(diapo, contenu.titre, MARGE, Inches(0.4), gauche, Inches(0.5), taille=20, couleur=GRIS)
    # Two lines at most in the box: long territory names get a smaller size.
    taille_nom = 36 if len(contenu.territoire) <= 26 else 30 if len(contenu.territoire) <= 44 else 24
    _texte(diapo, contenu.territoire, MARGE, Inches(0.85), gauche, Inches(1.15), taille=taille_nom, gras=True,
           couleur=BLEU)
    _texte(diapo, contenu.sous_titre, MARGE, Inches(2.0), gauche, Inches(0.5), taille=16)
    largeur = (gauche - Inches(0.3)) / 2
    for i, chiffre in enumerate(contenu.chiffres):
        x = MARGE + (i % 2) * (largeur + Inches(0.3))
        y = Inches(2.7) + (i // 2) * Inches(1.45)
        fond = diapo.shapes.add_shape(1, x, y, largeur, Inches(1.3))  # 1: rectangle
        fond.fill.solid()
        fond.fill.fore_color.rgb = FOND_CHIFFRE
        fond.line.fill.background()
        cadre = fond.text_frame
        cadre.word_wrap = True
        cadre.vertical_anchor = MSO_ANCHOR.TOP
        for j, (texte, taille, gras) in enumerate(
            ((chiffre.valeur, 28, True), (chiffre.libelle, 14, False), (chiffre.repere, 12, False))
        ):
            if not texte:
                continue
            paragraphe = cadre.paragraphs[0] if j == 0 else cadre.add_paragraph()
            run = paragraphe.add_run()
            run.text = texte
            run.font.size, run.font.bold = Pt(taille), gras
            run.font.color.rgb = BLEU if j == 0 else GRIS if j == 2 else RGBColor(0x16, 0x16, 0x16)
    bas = [f"Édité le {contenu.date_edition}" + (f" par {contenu.auteur}" if contenu.auteur else "") + ".",
           contenu.source]
    _texte(diapo, "\n".join(bas), MARGE, Inches(5.65), gauche, Inches(0.8), taille=12, couleur=GRIS)
    if contenu.miniature:
        _image(diapo, contenu.miniature, MARGE + gauche + Inches(0.2), Inches(1.6),
               LARGEUR - 2 * MARGE - gauche - Inches(0.2), Inches(4.6))
    if logo:
        _image(diapo, logo, LARGEUR - MARGE - Inches(3), Inches(0.3), Inches(3), Inches(1.1))


def _retenir(diapo, contenu: Contenu, page: Page, dessins) -> None:
    boite = diapo.shapes.add_textbox(MARGE, HAUT, LARGEUR - 2 * MARGE, PIED - HAUT - Inches(0.1))
    cadre = boite.text_frame
    cadre.word_wrap = True
    premier = True
    for i, constat in enumerate(contenu.a_retenir, start=1):
        for texte, taille, couleur in ((f"{i}. {constat.texte}", 16, None),
                                       (f"Chiffre : {constat.chiffre}. {constat.source}", 12, GRIS)):
            paragraphe = cadre.paragraphs[0] if premier else cadre.add_paragraph()
            premier = False
            run = paragraphe.add_run()
            run.text = texte
            run.font.size = Pt(taille)
            if couleur is not None:
                run.font.color.rgb = couleur
            paragraphe.space_after = Pt(8 if couleur is not None else 2)


def _sources(diapo, contenu: Contenu, page: Page, dessins) -> None:
    texte = "\n".join([f"Document édité le {contenu.date_edition}" + (f" par {contenu.auteur}" if contenu.auteur else "")
                       + ".", *contenu.sources])
    _texte(diapo, texte, MARGE, HAUT, LARGEUR - 2 * MARGE, PIED - HAUT, taille=12)


def _section(diapo, contenu: Contenu, page: Page, dessins: dict[str, bytes]) -> None:
    texte = _court(" ".join(page.textes), MAX_CARACTERES_TEXTE)
    notes = []
    if page.carte:
        largeur, hauteur = (Inches(x) for x in CARTE_DIAPO_POUCES)
        _image(diapo, page.section.carte_diapo or page.section.carte, MARGE, HAUT, largeur, hauteur)
        notes.append(texte)
    elif page.graphique is not None:
        image = dessins[page.graphique.cle]
        haut_texte = Inches(0.3 * (1 + len(texte) // 140) + 0.1) if texte else 0
        if texte and _points_par_pixel(image, PIED - HAUT - haut_texte - Inches(0.1)) * POLICE_DIAPO_PX < TAILLE_MIN:
            notes.append(texte)  # the text would shrink the chart's own text under 12 pt: it goes to the notes
            texte, haut_texte = "", 0
        if texte:
            _texte(diapo, texte, MARGE, HAUT, LARGEUR - 2 * MARGE, haut_texte, taille=14)
        y = HAUT + haut_texte
        _image(diapo, image, MARGE, y, LARGEUR - 2 * MARGE, PIED - y - Inches(0.1))
        entetes, lignes = page.graphique.donnees
        notes.append(page.graphique.phrase)
        notes += [" · ".join(entetes), *(" · ".join(l) for l in lignes)]
    else:
        y = HAUT
        if texte and page.tableau is not None and len(page.tableau.lignes) > 6:
            notes.append(texte)  # a long table needs the whole slide: its text goes to the notes
            texte = ""
        if texte:
            lignes_texte = 1 + len(texte) // 140
            _texte(diapo, texte, MARGE, y, LARGEUR - 2 * MARGE, Inches(0.3 * lignes_texte), taille=14)
            y += Inches(0.3 * lignes_texte + 0.15)
        if page.tableau is not None:
            _tableau(diapo, page.tableau, MARGE, y, LARGEUR - 2 * MARGE, PIED - y)
            notes.append(page.tableau.note)  # also where a long note has no room on the slide
    if notes:
        diapo.notes_slide.notes_text_frame.text = "\n".join(n for n in notes if n)


def _points_par_pixel(png: bytes, hauteur) -> float:
    """Points a chart pixel (LARGEUR_GRAPHIQUE_PX wide) takes once the PNG is fitted in the slide's width
    and `hauteur` (EMU)."""
    largeur_px, hauteur_px = _taille_png(png)
    ratio = min((LARGEUR - 2 * MARGE) / largeur_px, hauteur / hauteur_px)  # EMU a PNG pixel
    return ratio * largeur_px / LARGEUR_GRAPHIQUE_PX / 12_700


def _taille_png(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk


def _image(diapo, donnees: bytes, x, y, largeur, hauteur) -> None:
    """The picture fitted in the box, aspect ratio kept, centred horizontally."""
    image = diapo.shapes.add_picture(io.BytesIO(donnees), x, y)
    ratio = min(largeur / image.width, hauteur / image.height)
    image.width, image.height = int(image.width * ratio), int(image.height * ratio)
    image.left = int(x + (largeur - image.width) / 2)


def _tableau(diapo, tableau, x, y, largeur, hauteur) -> None:
    _texte(diapo, tableau.titre, x, y, largeur, Inches(0.4), taille=16, gras=True)
    y += Inches(0.5)
    lignes = len(tableau.lignes) + 1
    hauteur_ligne = Inches(0.34)
    forme = diapo.shapes.add_table(lignes, len(tableau.colonnes), x, y, Emu(int(largeur)), hauteur_ligne * lignes)
    grille = forme.table
    if len(tableau.colonnes) > 2:  # the first column holds labels: give it more room
        grille.columns[0].width = Emu(int(largeur * 0.3))
        reste = Emu(int(largeur * 0.7 / (len(tableau.colonnes) - 1)))
        for j in range(1, len(tableau.colonnes)):
            grille.columns[j].width = reste
    for i, ligne in enumerate([tableau.colonnes, *tableau.lignes]):
        for j, valeur in enumerate(ligne):
            cellule = grille.cell(i, j)
            cadre = cellule.text_frame
            cadre.text = ""
            run = cadre.paragraphs[0].add_run()
            run.text = _court(str(valeur), 120)
            run.font.size = Pt(TAILLE_MIN)
            run.font.bold = i == 0
    if tableau.note:
        bas_tableau = y + hauteur_ligne * lignes + Inches(0.1)
        if bas_tableau < PIED - Inches(0.4):
            _texte(diapo, _court(tableau.note, 300), x, bas_tableau, largeur, PIED - bas_tableau, taille=12, couleur=GRIS)


def _court(texte: str, n: int) -> str:
    return texte if len(texte) <= n else texte[: n - 1].rstrip() + "…"
