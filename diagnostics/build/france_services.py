"""ANCT's national list of France Services (July 2023) → raw standard v1 records for the embedded snapshot.

Weekday columns such as "09:00 - 12:00 / 13:30 - 17:00" become OSM opening_hours strings; what cannot be
converted is left empty and said in the row's `anomalies`.
"""
from __future__ import annotations

import re
from pathlib import Path

import opening_hours
import pandas as pd

from ..standard.fields import ANOMALIES, PIVOT_INCONNU

ORIGINE = "France Services 2023"
SOURCE = "ANCT France Services (2023)"
# The file is the state of ANCT's list at its last commit; used when a row has no labelling date.
DATE_INSTANTANE = "2023-07-07"
# France Services' mission is help with administrative procedures online; the list says nothing else.
SERVICES = "Aide aux démarches administratives"
DISPOSITIF = "France Services"
TYPOLOGIE = "RFS"  # data·inclusion code « Réseau France Services »

DAY_COLUMNS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa")
_JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")

_SLOT = re.compile(r"^\s*(\d{1,2})[:hH](\d{2})\s*-\s*(\d{1,2})[:hH](\d{2})\s*$")
_LABEL_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_MAIL_SEPARATORS = re.compile(r"\s+-\s+|[;,\s]+")


def read(path: Path) -> pd.DataFrame:
    """The raw list, every cell a string ("" when empty)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def opening_hours_from_days(days: list[str]) -> tuple[str, list[str]]:
    """Monday…Saturday cells ("09:00 - 12:00 / 13:30 - 17:00", "" = closed) → (OSM opening_hours, notes).

    Consecutive days with the same slots are grouped ("Mo-Tu 09:00-12:00,13:30-17:00; We 09:00-12:00").
    The form's empty slot "00:00 - 00:00" is ignored; repeated or overlapping slots are merged. When a
    cell cannot be read, or nothing is left, the result is "" and a French note says why.
    """
    per_day: list[tuple[tuple[int, int], ...]] = []
    placeholder = False
    merged_days = []
    for jour, cell in zip(_JOURS, days):
        slots = []
        for part in (p for p in (cell or "").split("/") if p.strip()):
            match = _SLOT.match(part)
            if not match:
                return "", [f"horaires non convertis : créneau illisible « {part.strip()} » ({jour})"]
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if start == end == 0:
                placeholder = True
                continue
            if not (start < end <= 24 * 60 and m1 < 60 and m2 < 60):
                return "", [f"horaires non convertis : créneau impossible « {part.strip()} » ({jour})"]
            slots.append((start, end))
        merged = _merge_slots(slots)
        if len(merged) != len(slots):
            merged_days.append(jour)
        per_day.append(tuple(merged))
    notes = []
    if merged_days:
        notes.append(f"créneaux répétés ou qui se chevauchent fusionnés ({', '.join(merged_days)})")
    if placeholder:
        notes.append("créneau vide « 00:00 - 00:00 » ignoré")
    if not any(per_day):
        if placeholder:
            return "", ["horaires non convertis : seulement des créneaux « 00:00 - 00:00 »"]
        return "", notes
    rules = []
    day = 0
    while day < len(per_day):
        last = day
        while last + 1 < len(per_day) and per_day[last + 1] == per_day[day]:
            last += 1
        if per_day[day]:
            span = OSM_DAYS[day] if last == day else f"{OSM_DAYS[day]}-{OSM_DAYS[last]}"
            rules.append(f"{span} " + ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in per_day[day]))
        day = last + 1
    value = "; ".join(rules)
    if not opening_hours.validate(value):
        return "", [f"horaires non convertis : « {value} » refusé par opening_hours"]
    return value, notes


def _merge_slots(slots: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(slots):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _date_maj(labellisation: str) -> tuple[str, str]:
    match = _LABEL_DATE.search(labellisation or "")
    if match:
        day, month, year = match.groups()
        return f"{year}-{month}-{day}", ""
    return DATE_INSTANTANE, f"date de labellisation absente : date du fichier ({DATE_INSTANTANE}) utilisée"


def _itinerance(row: dict) -> str:
    mobile = row["itinerance"].strip().lower() == "oui" or row["format_fs_anct"].strip().lower() == "mobile"
    return "Itinérant" if mobile else "Fixe"


def to_records(table: pd.DataFrame) -> pd.DataFrame:
    """One raw v1 record per France Services row (same order), with the conversion notes in `anomalies`.

    Telephone, postcode and coordinates are passed as read: `normalize` puts them in the standard's form.
    """
    records = []
    for row in table.to_dict("records"):
        horaires, notes = opening_hours_from_days([row[c] for c in DAY_COLUMNS])
        date_maj, date_note = _date_maj(row["labellisation"])
        if date_note:
            notes.append(date_note)
        records.append(
            {
                "id": f"france-services-{row['id_fs']}",
                "pivot": PIVOT_INCONNU,
                "nom": row["lib_fs"],
                "commune": row["lib_com"],
                "code_postal": row["code_postal"],
                "code_insee": row["insee_com"],
                "adresse": row["adresse"],
                "complement_adresse": row["complement_adresse"],
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "typologie": TYPOLOGIE,
                "telephone": row["telephone"],
                "courriels": "|".join(m for m in _MAIL_SEPARATORS.split(row["mail"].strip()) if m),
                "horaires": horaires,
                "presentation_detail": row["commentaire"].strip(),
                "source": SOURCE,
                "itinerance": _itinerance(row),
                "date_maj": date_maj,
                "services": SERVICES,
                "dispositif_programmes_nationaux": DISPOSITIF,
                ANOMALIES: "; ".join(notes),
            }
        )
    return pd.DataFrame.from_records(records)
