"""`diagnostic indicateurs` carries the priority and human-means blocks; `diagnostic lieux --format csv` stays
the pure standard, `--colonnes-territoire` adds the zoning columns for spreadsheet users."""
from __future__ import annotations

import csv
import io
import json

from diagnostics.commandes import main
from diagnostics.standard.fields import field_names
from diagnostics.views.colonnes_territoire import COLONNES


def test_indicateurs_carries_the_blocks(capsys):
    assert main(["indicateurs", "--territoire", "epci:242900314"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["territoires_prioritaires"]["qpv"]["nb_quartiers"] == 7
    assert d["moyens_humains"]["conseillers_numeriques"]["date"] == "2023"


def test_lieux_csv_is_the_standard_and_territory_columns_are_added_on_request(capsys):
    assert main(["lieux", "--territoire", "epci:242900314", "--format", "csv"]) == 0
    standard = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert standard[0] == list(field_names())
    assert main(["lieux", "--territoire", "epci:242900314", "--format", "csv", "--colonnes-territoire"]) == 0
    etendu = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(etendu[0]) == [*field_names(), *COLONNES]
    assert len(etendu) == len(standard) - 1
    assert {r["code_epci"] for r in etendu} == {"242900314"}
    assert {r["en_qpv"] for r in etendu} <= {"oui", "non", "non situé"} and any(r["en_qpv"] == "oui" for r in etendu)
    assert all(r["qpv"].startswith("QN029") for r in etendu if r["en_qpv"] == "oui")


def test_territory_columns_refused_for_json(capsys):
    assert main(["lieux", "--territoire", "epci:242900314", "--format", "json", "--colonnes-territoire"]) != 0
    assert "csv et xlsx" in capsys.readouterr().err
