"""France Services list → standard records: opening hours conversion on real rows, and the other fields."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import opening_hours
import pytest

from diagnostics.build import france_services as fs

FIXTURE = Path(__file__).parent / "fixtures" / "snapshot" / "france_services_2023_extrait.csv"
MONDAY = dt.datetime(2024, 1, 1)  # a Monday; no public-holiday rule is written, so it does not matter


@pytest.fixture(scope="module")
def table():
    return fs.read(FIXTURE)


def _expected_week(cells: list[str]) -> dict[int, list[tuple[int, int]]]:
    """What the cells mean, read independently of the converter: day → merged (start, end) minutes."""
    week = {}
    for day, cell in enumerate(cells):
        slots = []
        for a, b, c, d in re.findall(r"(\d\d):(\d\d) - (\d\d):(\d\d)", cell):
            start, end = int(a) * 60 + int(b), int(c) * 60 + int(d)
            if start or end:
                slots.append((start, end))
        merged = []
        for start, end in sorted(slots):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged:
            week[day] = merged
    return week


def _open_week(value: str) -> dict[int, list[tuple[int, int]]]:
    """Opening intervals of one week as computed by opening-hours-py from the OSM string."""
    week: dict[int, list[tuple[int, int]]] = {}
    for start, end, state, _ in opening_hours.OpeningHours(value).intervals(MONDAY, MONDAY + dt.timedelta(days=7)):
        if state == opening_hours.State.OPEN:
            day = (start - MONDAY).days
            minutes = start.hour * 60 + start.minute
            end_minutes = (end - (MONDAY + dt.timedelta(days=day))).total_seconds() // 60
            week.setdefault(day, []).append((minutes, int(end_minutes)))
    return week


def test_real_rows_convert_to_valid_osm_hours_with_the_same_meaning(table):
    converted = 0
    for row in table.to_dict("records"):
        cells = [row[c] for c in fs.DAY_COLUMNS]
        value, notes = fs.opening_hours_from_days(cells)
        expected = _expected_week(cells)
        if value:
            converted += 1
            assert opening_hours.validate(value), value
            assert _open_week(value) == expected, (row["id_fs"], value)
        else:
            # Left empty only when the file gives nothing usable, and then a note says so if cells were filled.
            assert expected == {}
            assert bool(notes) == any(c.strip() for c in cells)
    assert converted >= 25


def test_consecutive_identical_days_are_grouped(table):
    row = table[table["id_fs"] == "1"].iloc[0]  # Mon–Thu the same, Friday shorter, no Saturday
    value, notes = fs.opening_hours_from_days([row[c] for c in fs.DAY_COLUMNS])
    assert value == "Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00"
    assert notes == []


def test_placeholder_and_overlapping_slots():
    value, notes = fs.opening_hours_from_days(
        ["00:00 - 00:00 / 08:30 - 16:00", "09:00 - 16:30 / 13:30 - 16:30", "", "00:00 - 00:00", "", ""]
    )
    assert value == "Mo 08:30-16:00; Tu 09:00-16:30"
    assert any("00:00 - 00:00" in n for n in notes)
    assert any("mardi" in n for n in notes)


def test_only_placeholders_or_unreadable_cells_give_no_hours_and_a_note():
    for cells, word in [
        (["00:00 - 00:00"] * 3 + [""] * 3, "00:00"),
        (["17:00 - 09:00", "", "", "", "", ""], "impossible"),
        (["Sa 17:00", "", "", "", "", ""], "illisible"),
    ]:
        value, notes = fs.opening_hours_from_days(cells)
        assert value == ""
        assert len(notes) == 1 and "horaires non convertis" in notes[0] and word in notes[0]


def test_no_hours_at_all_is_not_an_anomaly():
    assert fs.opening_hours_from_days([""] * 6) == ("", [])


def test_records_fields(table):
    records = fs.to_records(table)
    assert len(records) == len(table)
    assert records["id"].is_unique
    assert set(records["dispositif_programmes_nationaux"]) == {"France Services"}
    assert set(records["services"]) == {"Aide aux démarches administratives"}
    assert set(records["pivot"]) == {"00000000000000"}
    by_id = records.set_index(table["id_fs"])
    assert by_id.loc["1", "date_maj"] == "2020-01-01"  # "Espace labellisé 01/01/2020"
    no_label = table.loc[table["labellisation"] == "", "id_fs"]
    assert len(no_label) == 1
    assert by_id.loc[no_label.iloc[0], "date_maj"] == fs.DATE_INSTANTANE
    assert "date de labellisation absente" in by_id.loc[no_label.iloc[0], "anomalies"]
    mobile = table["format_fs_anct"].eq("Mobile") | table["itinerance"].eq("Oui")
    assert (records.loc[mobile.to_numpy(), "itinerance"] == "Itinérant").all()
    assert (records.loc[~mobile.to_numpy(), "itinerance"] == "Fixe").all()
    two_mails = table["mail"].str.contains(" - ")
    assert records.loc[two_mails.to_numpy(), "courriels"].str.count(r"\|").eq(1).all()
    failed = records["anomalies"].str.contains("horaires non convertis")
    assert (records.loc[failed, "horaires"] == "").all()
