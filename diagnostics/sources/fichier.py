"""A local file of places (CSV, XLSX, JSON, GeoJSON) read as a table of text, then normalized to the standard.

Readers keep every cell as text so that codes keep their leading zeros; the format is taken from the
file's name, or from its first bytes when the name says nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd

from ..communes import attach_communes
from ..standard.cellules import cell_text
from ..standard.normalize import normalize
from ..standard.regles import DATES_FICTIVES
from .base import Lieux, SourceInfo

_FORMATS_ACCEPTES = "CSV, XLSX, JSON ou GeoJSON"
_IDENTIFYING = ("nom", "adresse", "commune", "code_postal")  # a file with none of them is not a places table
_RECORD_KEYS = ("data", "lieux", "items", "features", "results")


class FichierIllisible(ValueError):
    """The file cannot be read as a table of places; the message is one French sentence."""


def read_table(path_or_bytes: str | Path | bytes, nom_fichier: str, feuille: str | None = None) -> pd.DataFrame:
    """Read a file of places as a DataFrame of raw strings (one row per place, header as read).

    Parameters
    ----------
    path_or_bytes : path or bytes
        The file, or its content (an upload).
    nom_fichier : str
        The file's name, used for its format and in messages.
    feuille : str, optional
        XLSX only: the sheet to read (default: the first one).

    Raises
    ------
    FichierIllisible
        Empty, binary, HTML page, unknown format, or no table inside.
    """
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    kind = _kind(data, nom_fichier)
    readers = {"csv": _read_csv, "xlsx": lambda d, n: _read_xlsx(d, n, feuille), "json": _read_json}
    table = readers[kind](data, nom_fichier)
    if table.shape[1] == 0 or len(table) == 0:
        raise FichierIllisible(
            f"Le fichier « {nom_fichier} » ne contient aucun lieu sous son en-tête : vérifiez qu'il s'agit du bon fichier."
        )
    return table


def charger_fichier(path: str | Path | bytes, nom_fichier: str | None = None) -> Lieux:
    """Read, normalize and attach to communes a local file of places.

    The source date is the latest real `date_maj` of the file, else the file's modification date.
    """
    if nom_fichier is None:
        if isinstance(path, bytes):
            raise FichierIllisible("Le nom du fichier est nécessaire pour en reconnaître le format : indiquez-le.")
        nom_fichier = Path(path).name
    raw = read_table(path, nom_fichier)
    result = normalize(raw, f"fichier:{nom_fichier}")
    lieux = result.lieux
    if (lieux[list(_IDENTIFYING)] == "").all(axis=None) and lieux["latitude"].isna().all():
        raise FichierIllisible(
            f"Aucune colonne de « {nom_fichier} » n'est reconnue : nommez les colonnes comme le standard "
            "(nom, adresse, commune, code_postal, latitude, longitude…)."
        )
    lieux = attach_communes(lieux)
    source = SourceInfo(
        nom="fichier",
        libelle=f"Fichier {nom_fichier}",
        date=_data_date(lieux, path),
        message=f"{len(lieux)} lieux lus dans « {nom_fichier} ».",
    )
    return Lieux(lieux=lieux, source=source, rapport=result.rapport, champs_v0=result.champs_v0)


def _data_date(lieux: pd.DataFrame, path) -> str:
    dates = lieux["date_maj"][~lieux["date_maj"].isin(DATES_FICTIVES) & (lieux["date_maj"] != "")]
    if len(dates):
        return str(dates.max())
    if not isinstance(path, bytes):
        return dt.date.fromtimestamp(Path(path).stat().st_mtime).isoformat()
    return dt.date.today().isoformat()


# --- format detection ------------------------------------------------------------------------


def _kind(data: bytes, nom: str) -> str:
    head = data[:2048]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not data.strip(b"\xef\xbb\xbf \t\r\n\x00"):
        raise FichierIllisible(f"Le fichier « {nom} » est vide : choisissez un fichier qui contient des lieux.")
    if stripped[:15].lower().startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")):
        raise FichierIllisible(
            f"Le fichier « {nom} » est une page web, pas un tableau : téléchargez le fichier {_FORMATS_ACCEPTES} lui-même."
        )
    if head.startswith(b"%PDF"):
        raise FichierIllisible(
            f"Le fichier « {nom} » est un PDF : fournissez le tableau au format {_FORMATS_ACCEPTES}."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FichierIllisible(
            f"Le fichier « {nom} » est au format Excel 97-2003 (.xls) : enregistrez-le en .xlsx ou en CSV puis réessayez."
        )
    suffix = Path(nom).suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if suffix in (".ods", ".odt", ".docx", ".zip"):
            raise FichierIllisible(
                f"Le fichier « {nom} » n'est pas lisible ici : enregistrez-le en .xlsx ou en CSV puis réessayez."
            )
        return "xlsx"
    if _utf16(head) is None and b"\x00" in head:
        raise FichierIllisible(
            f"Le fichier « {nom} » n'est pas un fichier texte ou tableur lisible : fournissez un fichier {_FORMATS_ACCEPTES}."
        )
    if suffix in (".json", ".geojson") or stripped[:1] in (b"{", b"["):
        return "json"
    return "csv"


def _utf16(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return None


# --- CSV -------------------------------------------------------------------------------------------

_SEPARATORS = (";", ",", "\t")


def _decode(data: bytes) -> str:
    """UTF-16 (with BOM), UTF-8 (with or without BOM), else cp1252, else latin-1 (never fails)."""
    encoding = _utf16(data[:2])
    if encoding:
        return data.decode(encoding, errors="replace")  # an odd last byte must not lose the whole file
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_csv(data: bytes, nom: str) -> pd.DataFrame:
    text = _decode(data)
    sep = _separator(text)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if any(c.strip() for c in row)]
    except csv.Error as error:  # a cell beyond the csv module's 128 KB limit
        raise FichierIllisible(
            f"Le fichier « {nom} » contient une cellule trop longue ou mal formée pour un tableau CSV : vérifiez qu'il s'agit du bon fichier."
        ) from error
    if not rows:  # only blanks the emptiness test does not know (vertical tab, form feed…)
        raise FichierIllisible(f"Le fichier « {nom} » est vide : choisissez un fichier qui contient des lieux.")
    return _frame(rows[0], rows[1:])


def _separator(text: str) -> str:
    """The separator giving the same, largest number of columns on the first lines."""
    sample = "\n".join(text.splitlines()[:20])
    best, best_score = ",", (0, 0)
    for sep in _SEPARATORS:
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=sep) if r]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        consistent = sum(w == widths[0] for w in widths)
        score = (consistent, widths[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _frame(header: list, rows: list[list]) -> pd.DataFrame:
    """Rows of text → frame; cells past the header get their own columns so nothing is lost."""
    width = max([len(header), *(len(r) for r in rows)])
    names = [str(h).strip() if h not in (None, "") else f"colonne_{i + 1}" for i, h in enumerate(header)]
    names += [f"colonne_{i + 1}" for i in range(len(names), width)]
    padded = [list(r) + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(padded, columns=range(width), dtype=object)
    frame.columns = names  # names may repeat; normalize reads columns by position
    return frame


# --- XLSX ------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, nom: str, feuille: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged or foreign zip
        raise FichierIllisible(
            f"Le classeur « {nom} » n'a pas pu être ouvert ({type(error).__name__}) : enregistrez-le à nouveau en .xlsx ou en CSV."
        ) from error
    try:
        if feuille is not None and feuille not in workbook.sheetnames:
            raise FichierIllisible(
                f"La feuille « {feuille} » n'existe pas dans « {nom} » : choisissez parmi {', '.join(workbook.sheetnames)}."
            )
        sheet = workbook[feuille] if feuille is not None else workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read what is really there
        rows = [[_xlsx_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    rows = [row for row in rows if any(c.strip() for c in row)]
    if not rows:
        raise FichierIllisible(f"La feuille de « {nom} » est vide : choisissez la feuille qui contient les lieux.")
    used = max(i + 1 for row in rows for i, c in enumerate(row) if c.strip())
    rows = [row[:used] for row in rows]
    return _frame(rows[0], rows[1:])


def _xlsx_text(value) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return cell_text(value)


# --- JSON and GeoJSON --------------------------------------------------------------------------


def _read_json(data: bytes, nom: str) -> pd.DataFrame:
    try:
        parsed = json.loads(_decode(data))
    except ValueError as error:
        raise FichierIllisible(
            f"Le fichier « {nom} » n'est pas un JSON valide (ligne {getattr(error, 'lineno', '?')}) : vérifiez qu'il est complet."
        ) from error
    except RecursionError as error:
        raise FichierIllisible(
            f"Le fichier « {nom} » est imbriqué bien trop profondément pour être une liste de lieux : vérifiez qu'il s'agit du bon fichier."
        ) from error
    records = _records(parsed)
    if records is None:
        raise FichierIllisible(
            f"Le fichier « {nom} » ne contient pas de liste de lieux : attendu un tableau d'objets, ou une FeatureCollection GeoJSON."
        )
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    rows = [[cell_text(record.get(k)) for k in keys] for record in records]
    return _frame(list(keys), rows)


def _records(parsed) -> list[dict] | None:
    if isinstance(parsed, dict) and parsed.get("type") == "FeatureCollection":
        return [_feature_record(f) for f in parsed.get("features") or [] if isinstance(f, dict)]
    if isinstance(parsed, dict):
        for key in _RECORD_KEYS:
            if isinstance(parsed.get(key), list):
                return _records(parsed[key])
        if parsed and all(isinstance(v, dict) for v in parsed.values()):
            # An object of objects keyed by identifier: the key becomes the id when the object has none.
            return [{"id": key, **value} if "id" not in value else value for key, value in parsed.items()]
        return None
    if isinstance(parsed, list) and all(isinstance(r, dict) for r in parsed):
        if parsed and all(r.get("type") == "Feature" for r in parsed):
            return [_feature_record(f) for f in parsed]
        return parsed
    return None


def _feature_record(feature: dict) -> dict:
    properties = feature.get("properties")
    # Properties that are not an object are kept whole in one column rather than dropped.
    record = dict(properties) if isinstance(properties, dict) else {} if properties is None else {"properties": properties}
    if "id" not in record and feature.get("id") is not None:
        record["id"] = feature["id"]
    geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
    coordinates = geometry.get("coordinates") if geometry.get("type") == "Point" else None
    lacking = any(cell_text(record.get(name)).strip() == "" for name in ("latitude", "longitude"))
    if lacking and isinstance(coordinates, list) and len(coordinates) >= 2:
        record["longitude"], record["latitude"] = coordinates[0], coordinates[1]
    return record
