"""Raw cells and column headers of a places table → text columns and the standard's roles.

The first step of `normalize`: a file or an API gives any cell type (numbers, lists, JSON text,
a dataspace's nested address) under v1, v0 or mixed column names; here each column becomes text and
gets the field it feeds.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

import numpy as np
import pandas as pd

from . import v0
from .fields import LIST_SEPARATOR, field_names


def as_frame(raw: pd.DataFrame | list[dict]) -> pd.DataFrame:
    if isinstance(raw, pd.DataFrame):
        frame = raw.reset_index(drop=True)
    else:
        records = [r if isinstance(r, dict) else {"valeur": r} for r in raw]
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return frame


def flatten_nested_address(table: pd.DataFrame) -> tuple[list[str], list[pd.Series]]:
    """Columns by position (names may repeat); a dataspace `adresse` object becomes flat columns."""
    headers = [str(h) for h in table.columns]
    columns = [table.iloc[:, i] for i in range(table.shape[1])]
    for i, header in enumerate(list(headers)):
        col = columns[i]
        if _header_key(header) != "adresse":
            continue
        objects = col.map(_json_object)
        nested = objects.map(bool)
        if not nested.any():
            continue
        parts = objects.map(lambda v: v or {})
        columns[i] = parts.map(_street).where(nested, col)
        for sub in ("commune", "code_postal", "code_insee"):
            headers.append(sub)
            columns.append(parts.map(lambda d, k=sub: d.get(k)))
    return headers, columns


def _json_object(value) -> dict | None:
    """A dict, or JSON text of an object (a file reader serialised it), else None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _street(address: dict) -> str:
    parts = (address.get("numero_voie"), address.get("repetition"), address.get("nom_voie"))
    return " ".join(cell_text(p) for p in parts if cell_text(p))


def cell_text(value) -> str:
    """Any raw cell → its text: lists `|`-joined, integral floats without ".0", objects as JSON."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(float(value))
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return LIST_SEPARATOR.join(t for t in (cell_text(v) for v in value) if t)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def column_text(col: pd.Series) -> pd.Series:
    if pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        return pd.Series(col.fillna("").to_numpy(dtype=object), dtype=object)
    return pd.Series([cell_text(v) for v in col], dtype=object)


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", strip_accents(str(name)).lower()).strip("_")


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


GROUP_ROLES = {role for sources, _ in v0.VALUE_GROUPS.values() for role in sources}


def assign_roles(headers: list[str]) -> tuple[list[str], list[str]]:
    """Each column's role (a v1 field or a v0 column to convert; "" when ignored) and report lines."""
    names = set(field_names())
    roles, renamed, dropped, ignored = [], [], [], []
    for header in headers:
        key = _header_key(header)
        role = key if key in names else v0.COLUMN_ALIASES.get(key, "")
        if role in v0.DROPPED_COLUMNS:
            dropped.append(f"colonne « {header} » retirée ({v0.DROPPED_COLUMNS[role]})")
            role = ""
        elif not role:
            ignored.append(header)
        elif role != header:
            renamed.append(f"{header} → {_destination(role)}")
        roles.append(role)
    rapport = []
    if renamed:
        rapport.append("colonnes renommées ou converties : " + ", ".join(renamed))
    rapport += dropped
    if ignored:
        rapport.append("colonnes hors standard ignorées : " + ", ".join(ignored))
    return roles, rapport


def _destination(role: str) -> str:
    for sources, targets in v0.VALUE_GROUPS.values():
        if role in sources and role not in targets:
            extra = [v0.AUTRES_LABELS] if role == "labels_nationaux" else []
            return " + ".join([*targets, *extra])
    return role


def coalesce(cols: list[pd.Series]) -> pd.Series:
    out = cols[0]
    for col in cols[1:]:
        out = out.where(out.str.strip() != "", col)
    return out


def join_lists(cols: list[pd.Series]) -> pd.Series:
    out = cols[0]
    for col in cols[1:]:
        both = (out != "") & (col != "")
        out = (out + np.where(both, LIST_SEPARATOR, "") + col).astype(object)
    return out
