"""Checks on what an organisation brings to its local map: colours (format and WCAG contrast ratio) and logo
(type by magic bytes, size, SVG cleaned of scripts, event handlers and external references)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

LOGO_MAX_OCTETS = 512 * 1024
CONTRASTE_TEXTE = 4.5  # WCAG 2.1 AA, normal text (text on the main colour; see couleurs.py)
CONTRASTE_GRAPHIQUE = 3.0  # WCAG 2.1 AA, graphical objects (markers on the map)

_COULEUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"

# Drawing elements only: anything that can run code, embed HTML or load another document is dropped.
_SVG_ELEMENTS = frozenset(
    "svg g path rect circle ellipse line polyline polygon text tspan defs lineargradient radialgradient stop "
    "clippath mask title desc use symbol pattern".split()
)
_URL_EXTERNE = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.I)


class ParametreInvalide(ValueError):
    """A colour or a logo the map cannot use (French message saying what to change)."""


@dataclass(frozen=True)
class Logo:
    """A checked logo, ready to be written as `logo.<extension>`."""

    contenu: bytes
    extension: str  # png, jpg, webp, svg
    type_mime: str


def valider_couleur(valeur: str, nom: str = "couleur") -> str:
    """`#rgb` or `#rrggbb` → lower-case `#rrggbb`; anything else raises ParametreInvalide."""
    texte = str(valeur or "").strip()
    if not _COULEUR.match(texte):
        raise ParametreInvalide(
            f"La {nom} « {texte[:20]} » n'est pas une couleur hexadécimale : écrivez-la comme #1f4e8c ou #18c."
        )
    texte = texte.lower()
    if len(texte) == 4:
        texte = "#" + "".join(c * 2 for c in texte[1:])
    return texte


def _luminance(couleur: str) -> float:
    canaux = [int(couleur[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lineaires = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in canaux]
    return 0.2126 * lineaires[0] + 0.7152 * lineaires[1] + 0.0722 * lineaires[2]


def contraste(couleur_a: str, couleur_b: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((_luminance(valider_couleur(couleur_a)), _luminance(valider_couleur(couleur_b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def valider_logo(contenu: bytes, nom_fichier: str = "") -> Logo:
    """Check a logo file: PNG, JPEG or WebP recognised by their first bytes, or an SVG that is cleaned.

    Raises
    ------
    ParametreInvalide
        Too large, empty, of another type, or an SVG that cannot be read.
    """
    contenu = bytes(contenu or b"")
    nom = nom_fichier or "le logo"
    if not contenu:
        raise ParametreInvalide(f"Le fichier {nom} est vide : choisissez une image PNG, JPEG, WebP ou SVG.")
    if len(contenu) > LOGO_MAX_OCTETS:
        raise ParametreInvalide(
            f"Le fichier {nom} pèse {len(contenu) // 1024} Ko, plus que la limite de {LOGO_MAX_OCTETS // 1024} Ko : "
            "réduisez l'image avant de l'importer."
        )
    if contenu.startswith(b"\x89PNG\r\n\x1a\n"):
        return Logo(contenu, "png", "image/png")
    if contenu.startswith(b"\xff\xd8\xff"):
        return Logo(contenu, "jpg", "image/jpeg")
    if contenu[:4] == b"RIFF" and contenu[8:12] == b"WEBP":
        return Logo(contenu, "webp", "image/webp")
    if b"<svg" in contenu[:4096].lower():
        return Logo(nettoyer_svg(contenu), "svg", "image/svg+xml")
    raise ParametreInvalide(
        f"Le fichier {nom} n'est pas une image PNG, JPEG, WebP ou SVG : exportez le logo dans l'un de ces formats."
    )


def nettoyer_svg(contenu: bytes) -> bytes:
    """The SVG with only drawing elements and attributes: no script, event handler, style or external link."""
    if re.search(rb"<!(?:DOCTYPE|ENTITY)", contenu, re.I):
        # Entities are how an XML file reaches other files or explodes in memory: refuse rather than expand.
        raise ParametreInvalide("Le logo SVG déclare un DOCTYPE ou des entités : enregistrez-le en « SVG simple » ou en PNG.")
    try:
        racine = ET.fromstring(contenu)
    except ET.ParseError as exc:
        raise ParametreInvalide(f"Le logo SVG est illisible ({exc}) : enregistrez-le de nouveau ou utilisez un PNG.") from exc
    if _local(racine.tag) != "svg":
        raise ParametreInvalide("Le fichier ne commence pas par un élément <svg> : utilisez un logo PNG, JPEG, WebP ou SVG.")
    _nettoyer(racine)
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    return ET.tostring(racine, encoding="utf-8", xml_declaration=True)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _nettoyer(element: ET.Element) -> None:
    for attribut in list(element.attrib):
        nom = _local(attribut)
        valeur = element.attrib[attribut]
        lien = nom == "href"
        if (
            nom.startswith("on")
            or nom == "style"
            or (lien and not valeur.strip().startswith("#"))
            or _URL_EXTERNE.search(valeur)
            or "javascript:" in valeur.lower()
        ):
            del element.attrib[attribut]
    for enfant in list(element):
        # Comments and processing instructions have a non-string tag.
        if _local(enfant.tag) not in _SVG_ELEMENTS:
            element.remove(enfant)
        else:
            _nettoyer(enfant)
