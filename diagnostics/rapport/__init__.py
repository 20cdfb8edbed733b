"""Meeting-ready exports of a territory's diagnostic: the "fiche territoire" as PPTX, PDF and HTML, the
indicator tables as CSV and XLSX, and charts as PNG/SVG images."""
from __future__ import annotations

from datetime import date

from ..diagnostic import diagnostic
from ..indicators.par_commune import table_communes
from ..sources.base import Lieux
from ..views.fichiers import nom_fichier
from .contenu import Contenu, LogoIllisible, construire
from .images import ImagesIndisponibles, telechargements_figure

FORMATS = ("pptx", "pdf", "html")

__all__ = [
    "FORMATS", "Contenu", "ImagesIndisponibles", "LogoIllisible", "construire", "fichiers_rapport", "produire",
    "telechargements_figure",
]


def fichiers_rapport(contenu: Contenu, formats=FORMATS, *, logo: bytes | None = None) -> dict[str, bytes]:
    """File name → bytes of the report in each of `formats` ("pptx", "pdf", "html"), names made file-safe.

    Raises
    ------
    ImagesIndisponibles : no Chromium to draw the charts (or print the PDF).
    LogoIllisible : the logo is neither PNG nor JPEG.
    ValueError : an unknown format (French message).
    """
    from . import html, pdf, pptx

    inconnus = [f for f in formats if f not in FORMATS]
    if inconnus:
        raise ValueError(f"Format de rapport inconnu : {', '.join(inconnus)} ; choisissez parmi pptx, pdf, html.")
    ecrivains = {
        "pptx": lambda: pptx.presentation(contenu, logo),
        "pdf": lambda: pdf.document(contenu, logo),
        "html": lambda: html.page(contenu, logo).encode("utf-8"),
    }
    return {
        nom_fichier("fiche-territoire", contenu.nom_fichier, extension=f): ecrivains[f]()
        for f in FORMATS if f in formats
    }


def produire(
    territoire, lieux: Lieux, formats=FORMATS, *, logo: bytes | None = None, rayon_km: float = 10.0,
    edition: date | None = None, auteur: str | None = None, evolution: dict | None = None,
) -> dict[str, bytes]:
    """The whole report of `territoire` from its places (`places.charger_lieux`): diagnostic, per-commune
    table, content, then the files (see `fichiers_rapport`)."""
    diag = diagnostic(territoire, lieux.lieux, lieux.source, rayon_km=rayon_km)
    table = table_communes(territoire, lieux.lieux, rayon_km=rayon_km)
    contenu = construire(diag, table, lieux=lieux.lieux, edition=edition, auteur=auteur, evolution=evolution)
    return fichiers_rapport(contenu, formats, logo=logo)
