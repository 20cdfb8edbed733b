"""Opening hours: hand-checkable expressions, unreadable values, time zones, and every real value."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from diagnostics.indicators import horaires
from diagnostics.standard.fields import to_places_frame

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"


def _places(values, **columns) -> pd.DataFrame:
    return to_places_frame(pd.DataFrame({"horaires": values, **columns}))


@pytest.fixture(autouse=True)
def _fresh_caches():
    horaires._lire.cache_clear()
    horaires._parse.cache_clear()
    yield
    horaires._lire.cache_clear()
    horaires._parse.cache_clear()


def test_reference_week_is_an_ordinary_monday_to_sunday():
    start, end = horaires.DEBUT_SEMAINE_REFERENCE, horaires.FIN_SEMAINE_REFERENCE
    assert start.weekday() == 0 and (end - start).days == 7
    assert start.isocalendar().week == 12


def test_weekday_hours_with_lunch_break_make_30_hours():
    table = horaires.analyser_horaires(_places(["Mo-Fr 09:00-12:00,14:00-17:00"]))
    row = table.iloc[0]
    assert row["statut"] == "exploitable"
    assert row["heures_hebdo"] == 30.0
    assert row["jours_ouverts"] == 5
    assert not row["ouvert_samedi"] and not row["ouvert_dimanche"] and not row["ouvert_soir"]
    assert not row["ouvert_week_end"]


@pytest.mark.parametrize(
    "value, hours, saturday, sunday, evening",
    [
        ("Mo-Sa 09:00-19:00", 60.0, True, False, True),
        ("Mo-Fr 09:00-18:00", 45.0, False, False, False),  # closing at 18:00 is not "after 18:00"
        ("Mo-Fr 09:00-18:01", 45 + 5 / 60, False, False, True),
        ("Su 10:00-12:00", 2.0, False, True, False),
        ("24/7", 168.0, True, True, True),
        ("Mo-Fr 09:00-12:00; PH off", 15.0, False, False, False),  # no public holiday that week
        ("Fr 20:00-02:00", 6.0, True, False, True),  # runs past midnight into Saturday
        ("off", 0.0, False, False, False),
    ],
)
def test_flags_and_hours(value, hours, saturday, sunday, evening):
    row = horaires.analyser_horaires(_places([value])).iloc[0]
    assert row["heures_hebdo"] == pytest.approx(hours)
    assert bool(row["ouvert_samedi"]) is saturday
    assert bool(row["ouvert_dimanche"]) is sunday
    assert bool(row["ouvert_soir"]) is evening


def test_comments_are_kept_and_do_not_close_the_place():
    row = horaires.analyser_horaires(_places(['Mo 09:00-12:00 "sur rendez-vous"'])).iloc[0]
    assert row["heures_hebdo"] == 3.0
    assert row["commentaire"] == "sur rendez-vous"


def test_unreadable_and_missing_values_are_counted_not_fatal():
    places = _places(["Sa 17:00", "", "Mo-Fr 09:00-12:00", "Sa 17:00", None, "08:45-12:00-13:45"])
    table = horaires.analyser_horaires(places)
    assert table["statut"].tolist() == [
        "non exploitable", "non renseigné", "exploitable", "non exploitable", "non renseigné", "non exploitable",
    ]
    assert table["heures_hebdo"].isna().tolist() == [True, True, False, True, True, True]
    assert table["ouvert_samedi"].isna().tolist() == [True, True, False, True, True, True]
    assert table.loc[0, "erreur"].startswith("syntaxe OSM opening_hours non reconnue")
    bad = horaires.horaires_non_exploitables(places)
    assert bad[["valeur", "nombre"]].values.tolist() == [["Sa 17:00", 2], ["08:45-12:00-13:45", 1]]


def test_rust_panic_is_contained_but_interrupts_are_not(monkeypatch):
    class PanicException(BaseException):  # what pyo3 raises when the Rust core panics
        pass

    def panicking(value):
        raise PanicException("thread panicked")

    monkeypatch.setattr(horaires, "OpeningHours", panicking)
    row = horaires.analyser_horaires(_places(["Mo-Fr 09:00-12:00"])).iloc[0]
    assert row["statut"] == "non exploitable"

    def interrupted(value):
        raise KeyboardInterrupt

    horaires._parse.cache_clear()
    horaires._lire.cache_clear()
    monkeypatch.setattr(horaires, "OpeningHours", interrupted)
    with pytest.raises(KeyboardInterrupt):
        horaires.analyser_horaires(_places(["Mo-Fr 10:00-12:00"]))


def test_results_follow_the_input_index():
    places = _places(["Mo-Fr 09:00-12:00", "", "Sa 10:00-12:00"])
    places.index = [30, 10, 20]
    hours = horaires.heures_hebdomadaires(places)
    assert hours.index.tolist() == [30, 10, 20]
    assert hours.loc[30] == 15.0 and pd.isna(hours.loc[10]) and hours.loc[20] == 2.0


def test_open_at_a_given_time_in_each_place_s_time_zone():
    places = _places(
        ["Mo-Fr 09:00-12:00", "Mo-Fr 09:00-12:00", "", "Sa 17:00"],
        code_postal=["29200", "97400", "29200", "29200"],
    )
    tuesday_1030_paris = datetime(2026, 3, 17, 10, 30)
    assert horaires.ouvert_a(places, tuesday_1030_paris).tolist() == [True, False, pd.NA, pd.NA]
    # 06:30 UTC = 07:30 in Paris (closed), 10:30 in La Réunion (open).
    assert horaires.ouvert_a(places, datetime(2026, 3, 17, 6, 30, tzinfo=ZoneInfo("UTC"))).tolist()[:2] == [
        False, True,
    ]


def test_summary_shares_and_json():
    places = _places(["Mo-Fr 09:00-12:00,14:00-17:00", "Mo-Sa 09:00-19:00", "Sa 17:00", "", "Su 10:00-12:00"])
    resume = horaires.resume_horaires(places, quand=datetime(2026, 3, 21, 11, 0))  # a Saturday
    assert (resume["exploitables"], resume["non_exploitables"], resume["non_renseignes"]) == (3, 1, 1)
    assert resume["part_ouverts_samedi"] == pytest.approx(1 / 3, abs=1e-6)
    assert resume["part_ouverts_dimanche"] == pytest.approx(1 / 3, abs=1e-6)
    assert resume["part_ouverts_week_end"] == pytest.approx(2 / 3, abs=1e-6)
    assert resume["part_ouverts_soir"] == pytest.approx(1 / 3, abs=1e-6)
    assert resume["heures_hebdo_mediane"] == 30.0
    assert resume["ouverts_a_cet_instant"] == 1
    assert resume["valeurs_non_exploitables"] == [
        {"valeur": "Sa 17:00", "nombre": 1, "erreur": resume["valeurs_non_exploitables"][0]["erreur"]}
    ]
    json.dumps(resume, allow_nan=False)


def test_every_real_value_is_read_without_crash():
    real = pd.read_csv(FIXTURES / "horaires_reels.csv", dtype={"horaires": str}, keep_default_na=False)
    assert (len(real), int(real["nombre"].sum())) == (2099, 4208)
    places = _places(real["horaires"].repeat(real["nombre"]).tolist())
    table = horaires.analyser_horaires(places)
    counts = table["statut"].value_counts()
    # opening-hours-py 2.1.4 on these values: 4,154 rows readable, 54 not (43 distinct strings).
    assert counts["exploitable"] == 4154 and counts["non exploitable"] == 54
    assert len(horaires.horaires_non_exploitables(places)) == 43
    readable = table[table["statut"] == "exploitable"]
    assert readable["heures_hebdo"].between(0, 168).all()
    assert (readable["jours_ouverts"] <= 7).all()
