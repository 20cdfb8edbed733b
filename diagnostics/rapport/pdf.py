"""The territory report as a PDF: the HTML report printed by the system Chromium (headless).

Why print the HTML rather than lay out a PDF in pure Python (reportlab): the charts already need
Chromium (kaleido), so it is there whenever a report can be made; the PDF then says exactly what the
HTML says, from a single template; and Chromium's text layout handles French typography (thin spaces,
hyphenation, accents) and vector SVG charts without another dependency. The page holds no script and
no outside resource, and Chromium runs with its networking pointed nowhere.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from . import html
from .contenu import Contenu
from .images import ImagesIndisponibles, chemin_chromium

DELAI_S = 120
_OPTIONS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-extensions",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # belt and braces: the page has nothing to fetch
)


def document(contenu: Contenu, logo: bytes | None = None) -> bytes:
    """The report as PDF bytes (A4), the same content as `html.page`.

    Raises
    ------
    images.ImagesIndisponibles : no Chromium, or it could not print.
    contenu.LogoIllisible : the logo is neither PNG nor JPEG.
    """
    return imprimer(html.page(contenu, logo))


def imprimer(page_html: str) -> bytes:
    """Print an HTML document (text) to PDF bytes with the system Chromium."""
    navigateur = chemin_chromium()
    with tempfile.TemporaryDirectory(prefix="rapport-") as dossier:
        source = Path(dossier) / "rapport.html"
        cible = Path(dossier) / "rapport.pdf"
        source.write_text(page_html, encoding="utf-8")
        commande = [
            navigateur, *_OPTIONS, f"--user-data-dir={Path(dossier) / 'profil'}", f"--print-to-pdf={cible}",
            source.as_uri(),
        ]
        try:
            subprocess.run(commande, capture_output=True, timeout=DELAI_S, check=False, cwd=dossier)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ImagesIndisponibles(
                f"Chromium n'a pas pu imprimer le rapport en PDF ({type(exc).__name__}) : réessayez, ou utilisez le "
                "rapport HTML et imprimez-le depuis un navigateur."
            ) from exc
        if not cible.exists() or cible.stat().st_size == 0:
            raise ImagesIndisponibles(
                "Chromium n'a produit aucun PDF : réessayez, ou utilisez le rapport HTML et imprimez-le depuis "
                "un navigateur."
            )
        return cible.read_bytes()
