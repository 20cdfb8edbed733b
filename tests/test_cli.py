"""The `diagnostic` command as a user runs it: real territories, the embedded snapshot, a local API server."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from frictionless import Resource, Schema

from diagnostics.commandes import main
from diagnostics.standard.fields import PIVOT_INCONNU, SCHEMA_PATH, field_names

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_territoires_prints_tab_separated_matches(capsys):
    code, out, _ = run(capsys, "territoires", "brest")
    assert code == 0
    first = out.splitlines()[0].split("\t")
    assert first[:3] == ["commune:29019", "Brest", "commune"]
    assert int(first[3]) > 100_000


def test_unknown_territory_is_one_french_line(capsys):
    code, out, err = run(capsys, "lieux", "--territoire", "dep:99")
    assert code != 0 and out == ""
    assert err.startswith("Erreur : ") and len(err.strip().splitlines()) == 1


def test_overseas_collectivity_without_geometry_is_a_message(capsys):
    code, _, err = run(capsys, "lieux", "--territoire", "dep:987")
    assert code != 0
    assert "Polynésie" in err or "géométrie" in err


def _validate(path: Path):
    schema = Schema.from_descriptor(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return Resource(path=path.name, basepath=str(path.parent), schema=schema).validate()


def test_lieux_dep29_csv_validates_against_the_standard(capsys, tmp_path):
    code, out, err = run(capsys, "lieux", "--territoire", "dep:29", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) > 50
    assert list(rows[0]) == list(field_names())
    assert {r["code_insee"][:2] for r in rows if r["code_insee"]} == {"29"}
    path = tmp_path / "lieux.csv"
    path.write_text(out, encoding="utf-8")
    report = _validate(path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    # The summary counts the pivots filled by the standard's convention.
    filled = sum(r["pivot"] == PIVOT_INCONNU for r in rows)
    assert f"{len(rows)} lieux écrits".replace(",", "\u202f") in err.replace("\u202f", "")
    assert str(filled) in err.replace("\u202f", "")


@pytest.mark.parametrize("fmt", ["json", "geojson", "xlsx"])
def test_lieux_other_formats_write_the_same_places(capsys, tmp_path, fmt):
    out_csv = tmp_path / "a.csv"
    assert main(["lieux", "-t", "epci:242900314", "--sortie", str(out_csv)]) == 0
    n = len(list(csv.DictReader(out_csv.open(encoding="utf-8"))))
    target = tmp_path / f"lieux.{fmt}"
    assert main(["lieux", "-t", "epci:242900314", "--format", fmt, "--sortie", str(target)]) == 0
    if fmt == "json":
        assert len(json.loads(target.read_text(encoding="utf-8"))) == n
    elif fmt == "geojson":
        assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == n
    else:
        from openpyxl import load_workbook

        assert load_workbook(target).active.max_row == n + 1


def test_lieux_from_a_real_file(capsys, tmp_path):
    source = Path(__file__).parent / "fixtures" / "cli" / "charente_extrait.json"
    code, out, err = run(capsys, "lieux", "-t", "dep:16", "--source", str(source))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["code_postal"].startswith("16") for r in rows)


def test_unreadable_file_is_a_message(capsys, tmp_path):
    bad = tmp_path / "lieux.csv"
    bad.write_bytes(b"\x00\x01\x02binary")
    code, _, err = run(capsys, "lieux", "-t", "dep:16", "--source", str(bad))
    assert code != 0 and err.startswith("Erreur : ")


def test_console_script_never_prints_a_traceback():
    exe = ROOT / ".venv" / "bin" / "diagnostic"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "diagnostics"]
    proc = subprocess.run([*cmd, "lieux", "--territoire", "nulle-part-xyz"], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Erreur : ")


@pytest.fixture
def api_server(monkeypatch, tmp_path):
    from fake_api import FakeApi

    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "cache"))
    with FakeApi() as server:
        yield server


def test_lieux_from_the_api_then_fallback_to_its_cache(capsys, api_server, tmp_path):
    code, out, err = run(capsys, "lieux", "-t", "dep:16", "--source", "api", "--api-url", api_server.url)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["code_postal"][:2] for r in rows} == {"16"}
    assert "API nationale" in err
    path = tmp_path / "api.csv"
    path.write_text(out, encoding="utf-8")
    assert _validate(path).valid

    api_server.plan(*["500"] * 10)
    code, out_again, err = run(capsys, "lieux", "-t", "dep:16", "--source", "api", "--api-url", api_server.url)
    assert code == 0
    assert out_again == out  # the last good download, untouched
    assert "cache" in err


def test_api_down_without_cache_fails_with_advice(capsys, api_server):
    api_server.plan(*["503"] * 10)
    code, out, err = run(capsys, "lieux", "-t", "dep:29", "--source", "api", "--api-url", api_server.url)
    assert code != 0 and out == ""
    assert err.startswith("Erreur : ") and "--repli-embarque" in err
    api_server.plan(*["503"] * 10)
    code, out, err = run(capsys, "lieux", "-t", "dep:29", "--source", "api", "--api-url", api_server.url, "--repli-embarque")
    assert code == 0 and out.startswith('"id"') or out.startswith("id")
    assert "instantané" in err.lower()


def test_indicateurs_parties_choisies(capsys):
    """`--parties` keeps the JSON to what is asked; the parser's list is the diagnostic's."""
    from diagnostics.commandes import indicateurs
    from diagnostics.diagnostic import PARTIES

    assert indicateurs.PARTIES == PARTIES
    code, out, _ = run(capsys, "indicateurs", "--territoire", "epci:242900314", "--parties", "aucune")
    assert code == 0
    resultat = json.loads(out)
    assert all(resultat[p] is None for p in PARTIES) and resultat["nb_lieux"] > 0
    code, out, _ = run(capsys, "indicateurs", "--territoire", "epci:242900314", "--parties", "offre,horaires")
    resultat = json.loads(out)
    assert resultat["offre"] is not None and resultat["horaires"] is not None and resultat["qualite"] is None
    with pytest.raises(SystemExit):
        main(["indicateurs", "--territoire", "epci:242900314", "--parties", "bidon"])
    assert "partie inconnue « bidon »" in capsys.readouterr().err
