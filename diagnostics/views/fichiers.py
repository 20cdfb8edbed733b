"""Files offered for download by the dashboard: safe file names, spreadsheet tables (CSV for French
spreadsheets, XLSX whose text cells are text, never formulas) and the places in the standard's formats."""
from __future__ import annotations

import io
import math
import re
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..exports import csv_tableur

# The MIME type of each kind of file the dashboard offers, by extension.
MIMES = {
    "csv": "text/csv",
    "json": "application/json",
    "geojson": "application/geo+json",
    "html": "text/html",
    "pdf": "application/pdf",
    "png": "image/png",
    "svg": "image/svg+xml",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
from ..standard.io import to_geojson, to_standard_csv, to_xlsx


def nom_fichier(*parties: str, extension: str) -> str:
    """A safe file name: accents dropped, ASCII letters, digits, - and _ only, parts joined by "_"."""
    morceaux = []
    for partie in parties:
        ascii_ = unicodedata.normalize("NFKD", str(partie)).encode("ascii", "ignore").decode()
        morceau = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_).strip("-_")
        if morceau:
            morceaux.append(morceau)
    base = "_".join(morceaux)[:120] or "export"
    return f"{base}.{re.sub(r'[^a-z0-9]', '', extension.lower())}"


def csv_standard(places: pd.DataFrame) -> bytes:
    """The places as the standard's CSV (exactly the standard: 32 columns, UTF-8)."""
    tampon = io.BytesIO()
    to_standard_csv(places, tampon)
    return tampon.getvalue()


def xlsx_lieux(places: pd.DataFrame) -> bytes:
    """The places as a spreadsheet of the standard's fields (text cells stay text)."""
    tampon = io.BytesIO()
    to_xlsx(places, tampon)
    return tampon.getvalue()


def geojson_lieux(places: pd.DataFrame) -> bytes:
    """The places as GeoJSON (the standard's fields as properties)."""
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / "lieux.geojson"
        to_geojson(places, chemin)
        return chemin.read_bytes()


def csv_tableau(frame: pd.DataFrame) -> bytes:
    """A table as a French spreadsheet CSV (`;`, decimal comma, BOM, formulas neutralised)."""
    tampon = io.StringIO()
    csv_tableur(frame, tampon)
    return tampon.getvalue().encode("utf-8")


def xlsx_tableau(frame: pd.DataFrame, feuille: str = "tableau") -> bytes:
    """A one-sheet spreadsheet of `frame`; text is stored as text, never as a formula."""
    return xlsx_classeur({feuille: frame})


def xlsx_classeur(feuilles: dict[str, pd.DataFrame]) -> bytes:
    """A spreadsheet with one sheet per frame (bold frozen header, numbers as numbers, every text as a
    text cell — never a formula — and columns sized to their content)."""
    classeur = Workbook(write_only=True)
    for feuille, frame in feuilles.items():
        onglet = classeur.create_sheet(re.sub(r"[\[\]:*?/\\]", "-", feuille)[:31] or "tableau")
        onglet.freeze_panes = "A2"
        for i, colonne in enumerate(frame.columns, start=1):
            largeur = max([len(str(colonne)), 8, *(len(str(v)) for v in frame[colonne].head(200))])
            onglet.column_dimensions[get_column_letter(i)].width = float(min(largeur + 2, 70))
        entete = []
        for colonne in frame.columns:
            cellule = _cellule_texte(onglet, colonne)
            cellule.font = Font(bold=True)
            entete.append(cellule)
        onglet.append(entete)
        for ligne in frame.itertuples(index=False):
            onglet.append([_cellule(onglet, v) for v in ligne])
    tampon = io.BytesIO()
    classeur.save(tampon)
    return tampon.getvalue()


def _cellule(onglet, valeur):
    if valeur is None or valeur is pd.NA:
        return None
    if isinstance(valeur, (bool, np.bool_)):
        return "oui" if valeur else "non"
    if isinstance(valeur, (int, np.integer)):
        return int(valeur)
    if isinstance(valeur, (float, np.floating)):
        return float(valeur) if math.isfinite(valeur) else None  # Excel has no NaN nor infinity
    return _cellule_texte(onglet, valeur)


def _cellule_texte(onglet, valeur) -> WriteOnlyCell:
    cellule = WriteOnlyCell(onglet, value=ILLEGAL_CHARACTERS_RE.sub("", str(valeur))[:32_767])
    cellule.data_type = "s"  # set after the value: openpyxl would take "=…" for a formula
    return cellule
