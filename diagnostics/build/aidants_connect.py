"""Aidants Connect structures (export of 2024-02-22) → raw standard v1 records for the embedded snapshot.

The export has no coordinates: the build places each structure at its commune's inner point and marks the
position as approximate.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..standard.fields import ANOMALIES

ORIGINE = "Aidants Connect 2024"
SOURCE = "Aidants Connect"
# The export carries no update date: the date of the commit that added it to inclusion-numerique.
DATE_MAJ = "2024-02-22"
SERVICES = "Aide aux démarches administratives"

_OTHER_ADDRESS = re.compile(r"\n\s*autre adresse\s*:?", re.IGNORECASE)
# ", 75007 Paris", " 28028 Chartres Cedex", ", 26110, NYONS", "CONDORCET42300 Roanne" at the end of a line:
# the postcode and city, which have their own columns (a "CS 21066" mail box number is not one).
_TRAILING_TOWN = re.compile(r"[\s,–-]*(?<!\bCS\s)(?<!\bBP\s)(?<!\d)\d{5}(?!\d)[\s,]*[^\d\n]*$")
_TOWN_LINE = re.compile(r"^(\d{5}\b.*|[^\d]*\bcedex\b.*)$", re.IGNORECASE)
_STREET = re.compile(
    r"^\d|\b(rue|r|avenue|av|bd|boulevard|place|pl|chemin|route|rte|all[ée]e|impasse|quai|cours|square|esplanade"
    r"|passage|rond-point|lieu-dit|parvis|promenade|voie|chauss[ée]e|faubourg|sentier|mont[ée]e|traverse|hameau)\b",
    re.IGNORECASE,
)


def read(path: Path) -> pd.DataFrame:
    """The raw export, every cell a string ("" when empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def split_address(address: str, city: str = "") -> tuple[str, str, str]:
    """A free-text postal address → (voie, complement, other address given after « Autre adresse : »).

    Lines holding only the postcode and city are dropped (they have their own columns); the line that looks
    like a street (starts with a number or names a street type) is the voie, the others the complement.
    """
    main, *other = _OTHER_ADDRESS.split(address or "", maxsplit=1)
    other_text = " ".join(other[0].split()) if other else ""
    lines = []
    for raw in main.splitlines():
        line = " ".join(raw.split()).strip(" ,;-–")
        if not line or _TOWN_LINE.match(line) or line.casefold() == city.strip().casefold():
            continue
        line = _TRAILING_TOWN.sub("", line).strip(" ,;-–")
        if line:
            lines.append(line)
    if not lines:
        return "", "", other_text
    street = next((line for line in lines if _STREET.search(line)), lines[0])
    complement = ", ".join(line for line in lines if line is not street)
    return street, complement, other_text


def _pivot(siret: str) -> str:
    # The export wrote SIRET numbers as floats ("13002603200016.0"); "0.0" means none.
    digits = re.sub(r"\.0$", "", (siret or "").strip())
    return "" if digits.strip("0") == "" else digits


def to_records(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Raw v1 records of the active structures (same order) and the number of inactive ones left out."""
    active = table["Is Active"].str.strip().str.lower().eq("true")
    records = []
    for row in table[active].to_dict("records"):
        street, complement, other = split_address(row["Address"], row["City"])
        notes = [] if street else ["adresse absente ou illisible dans l'export Aidants Connect"]
        dispositifs = ["Aidants Connect"]
        if row["France Services Label"].strip().lower() == "true":
            dispositifs.append("France Services")
        records.append(
            {
                "id": f"aidants-connect-{row['ID']}",
                "pivot": _pivot(row["Siret"]),
                "nom": row["Name"].strip(),
                "commune": row["City"].strip(),
                "code_postal": row["Zip Code"].strip(),
                "code_insee": row["City Insee Code"].strip(),
                "adresse": street,
                "complement_adresse": complement,
                "presentation_detail": f"Autre adresse indiquée : {other}" if other else "",
                "source": SOURCE,
                "date_maj": DATE_MAJ,
                "services": SERVICES,
                "dispositif_programmes_nationaux": "|".join(dispositifs),
                ANOMALIES: "; ".join(notes),
            }
        )
    return pd.DataFrame.from_records(records), int((~active).sum())
