"""Writers of a places frame: the standard's CSV, JSON records, GeoJSON and a spreadsheet (XLSX).

Only the 32 standard fields are written, exactly as the places frame holds them (lists `|`-joined);
internal columns (origine, anomalies…) stay in the dashboard.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from diagnostics.standard.fields import NUMBER_FIELDS, field_names, required_fields

_XLSX_CELL_MAX = 32_767  # Excel's limit on the characters of one cell


def to_standard_csv(places: pd.DataFrame, path_or_buffer: str | Path | IO) -> None:
    """Write the standard's CSV: 32 columns in schema order, UTF-8 without BOM, `,` and `"` as needed.

    Latitude/longitude are plain decimals (empty when missing); nothing is altered for spreadsheets,
    so a telephone "+33…" stays as it is.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(field_names())
    writer.writerows(_standard_rows(places))
    data = text.getvalue()
    if isinstance(path_or_buffer, (str, Path)):
        Path(path_or_buffer).write_text(data, encoding="utf-8", newline="")
    elif isinstance(path_or_buffer, io.TextIOBase):
        path_or_buffer.write(data)
    else:
        path_or_buffer.write(data.encode("utf-8"))


def to_json(places: pd.DataFrame, path: str | Path) -> None:
    """Write a JSON array of flat v1 records (`|`-joined lists, coordinates as numbers).

    Like the ANCT's own JSON files, optional fields that are empty are left out; required fields are
    always present.
    """
    Path(path).write_text(json.dumps(records(places), ensure_ascii=False, indent=1), encoding="utf-8")


def to_geojson(places: pd.DataFrame, path: str | Path) -> None:
    """Write a GeoJSON FeatureCollection; the standard fields are the properties, no coordinates → null geometry."""
    features = []
    for record in records(places):
        lat, lon = record.get("latitude"), record.get("longitude")
        point = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
        features.append({"type": "Feature", "geometry": point, "properties": record})
    collection = {"type": "FeatureCollection", "features": features}
    Path(path).write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


def to_xlsx(places: pd.DataFrame, path: str | Path) -> None:
    """Write a spreadsheet: a header row, then one row per place; text is always stored as text.

    A value such as "=HYPERLINK(…)" or "+33…" is written as a string cell, never as a formula.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("lieux")
    names = list(field_names())
    rows = list(_standard_rows(places, numbers=True))
    for i, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = _width(name, [r[i - 1] for r in rows[:500]])
    sheet.freeze_panes = "A2"
    header = []
    for name in names:
        cell = _text_cell(sheet, name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        # Empty cells are left out of the file (None), which also halves the writing time.
        sheet.append([v if v is None or isinstance(v, float) else _text_cell(sheet, v) if v else None for v in row])
    workbook.save(path)


def records(places: pd.DataFrame) -> list[dict]:
    """Flat v1 records: `|` strings, float coordinates; empty optional fields left out."""
    required = set(required_fields())
    out = []
    for row in _standard_rows(places, numbers=True):
        record = {}
        for name, value in zip(field_names(), row):
            if name in NUMBER_FIELDS:
                if value is not None:
                    record[name] = value
            elif value != "" or name in required:
                record[name] = value
        out.append(record)
    return out


def _standard_rows(places: pd.DataFrame, numbers: bool = False):
    """Rows of the 32 fields; coordinates as plain-decimal text, or floats/None when `numbers`."""
    columns = []
    for name in field_names():
        if name not in places:
            columns.append([None if numbers and name in NUMBER_FIELDS else ""] * len(places))
        elif name in NUMBER_FIELDS:
            values = pd.to_numeric(places[name], errors="coerce").to_numpy(dtype=float)
            columns.append([_number(v, numbers) for v in values])
        else:
            col = places[name]
            columns.append(col.astype(object).where(col.notna(), "").astype(str).tolist())
    return zip(*columns) if columns else iter(())


def _number(value: float, as_number: bool):
    if not math.isfinite(value):
        return None if as_number else ""
    return float(value) if as_number else np.format_float_positional(value, trim="-")


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > _XLSX_CELL_MAX:
        text = text[: _XLSX_CELL_MAX - 1] + "…"
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # set after the value: openpyxl would take "=…" for a formula
    return cell


def _width(name: str, sample: list) -> float:
    lengths = sorted(len(str(v)) for v in sample if v not in ("", None))
    typical = lengths[int(len(lengths) * 0.9)] if lengths else 0
    return float(min(max(len(name), typical, 8) + 2, 60))
