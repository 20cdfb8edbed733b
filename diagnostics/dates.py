"""Dates as a French reader writes them: "22 février 2024" in sentences and reports, "22/02/2024" in
labels and tables. Plain functions of text, imported by every floor of the house."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
        "décembre")


def _ecrire(texte: str | date | None, forme: Callable[[date], str]) -> str:
    """An ISO date (or a timestamp starting with one) written by `forme`; text that is not an ISO date is
    returned as is, "date inconnue" if empty."""
    if not texte:
        return "date inconnue"
    try:
        d = texte if isinstance(texte, date) else date.fromisoformat(str(texte)[:10])
    except ValueError:
        return str(texte)
    return forme(d)


def date_francaise(texte: str | date | None) -> str:
    """"2024-02-22" → "22 février 2024"."""
    return _ecrire(texte, lambda d: f"{'1er' if d.day == 1 else d.day} {MOIS[d.month - 1]} {d.year}")


def date_courte(texte: str | date | None) -> str:
    """"2024-02-22" → "22/02/2024"."""
    return _ecrire(texte, lambda d: f"{d:%d/%m/%Y}")
