"""Files meant to be opened in a spreadsheet (indicator tables, to-do lists): safe to open in Excel.

Not for the standard's interchange CSV, which `diagnostics.standard.io` writes exactly as the standard says.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import IO

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)?([eE][+-]?\d+)?$")
_PHONE = re.compile(r"^\+\d{6,15}$")


def neutraliser(value):
    """Prefix a text cell that a spreadsheet would run as a formula with a quote (OWASP CSV injection).

    Numbers and international phone numbers (+33…) are left alone: they are data, not formulas.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.match(value) or _PHONE.match(value):
        return value
    return "'" + value


def csv_tableur(frame: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """CSV for French spreadsheets: `;` separator, decimal comma, UTF-8 with BOM, no formula."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutraliser)
    safe.columns = [neutraliser(str(c)) for c in safe.columns]
    if isinstance(target, (str, Path)):
        safe.to_csv(target, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    else:
        target.write("\ufeff")
        safe.to_csv(target, sep=";", decimal=",", index=False)
