"""French number formatting for every view (pages, reports): thin space for thousands, decimal comma."""
from __future__ import annotations

import math

ESPACE_FINE = "\u202f"


def _manquant(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def nombre(x, decimales: int = 0) -> str:
    """12 345 ; 1,5 ; "—" when missing; "∞" for an infinite distance."""
    if _manquant(x):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    texte = f"{x:,.{decimales}f}"
    return texte.replace(",", ESPACE_FINE).replace(".", ",")


def pourcentage(part, decimales: int = 0) -> str:
    """A share between 0 and 1 → "42 %"."""
    if _manquant(part):
        return "—"
    return f"{nombre(part * 100, decimales)}{ESPACE_FINE}%"


def km(x, decimales: int = 1) -> str:
    if _manquant(x):
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "aucun lieu"
    return f"{nombre(x, decimales)}{ESPACE_FINE}km"
