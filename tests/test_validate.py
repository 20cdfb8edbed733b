"""Validation against the standard: per row on a places frame, and whole CSV files with frictionless."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from diagnostics.sources.fichier import read_table
from diagnostics.standard.fields import field_names
from diagnostics.standard.io import to_standard_csv
from diagnostics.standard.normalize import normalize
from diagnostics.standard.validate import (
    AVERTISSEMENT,
    BLOQUANT,
    ProblemeValidation,
    is_standard_ready,
    row_problems,
    validate_csv,
)

FIXTURES = Path(__file__).parent / "fixtures" / "files"
EXEMPLE = FIXTURES / "exemple-valide.csv"


def _example_rows() -> tuple[list[str], list[str]]:
    header, row = list(csv.reader(EXEMPLE.open(encoding="utf-8")))
    return header, row


def _write(path: Path, header: list[str], rows: list[list[str]], **kwargs) -> Path:
    with path.open("w", encoding=kwargs.pop("encoding", "utf-8"), newline="") as handle:
        writer = csv.writer(handle, **kwargs)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _problem(report, champ: str, code: str) -> ProblemeValidation:
    matches = [p for p in report.problemes if p.champ == champ and p.code == code]
    assert len(matches) == 1, [(p.champ, p.code) for p in report.problemes]
    return matches[0]


def test_standard_example_is_valid():
    report = validate_csv(EXEMPLE)
    assert report.valid and report.problemes == [] and report.n_lignes == 1


def test_example_round_trip_is_valid_and_unchanged(tmp_path):
    lieux = normalize(read_table(EXEMPLE, EXEMPLE.name), "exemple").lieux
    assert lieux["anomalies"].iloc[0] == ""
    out = tmp_path / "aller-retour.csv"
    to_standard_csv(lieux, out)
    assert validate_csv(out).valid
    assert list(csv.reader(out.open(encoding="utf-8"))) == list(csv.reader(EXEMPLE.open(encoding="utf-8")))


def test_errors_grouped_by_field_with_row_ranges(tmp_path):
    header, row = _example_rows()
    rows = []
    for i in range(8):  # file lines 2..9
        r = list(row)
        r[0] = f"lieu-{i}"
        if i in (1, 2, 3, 5):  # lines 3, 4, 5, 7
            r[header.index("code_postal")] = "2920"
        rows.append(r)
    rows[7][0] = "lieu-0"  # line 9 repeats line 2's id
    rows[6][header.index("nom")] = ""  # line 8
    rows[4][header.index("date_maj")] = "02/04/2024"  # line 6
    rows[4][header.index("services")] = "Cours de cuisine"
    report = validate_csv(_write(tmp_path / "erreurs.csv", header, rows))
    assert not report.valid
    code_postal = _problem(report, "code_postal", "pattern")
    assert code_postal.gravite == BLOQUANT and code_postal.lignes_texte == "lignes 3–5, 7"
    assert "5 chiffres" in code_postal.correction and code_postal.exemples == ["2920"]
    assert "(valeurs lues : « 2920 »)" in code_postal.texte()
    assert _problem(report, "nom", "obligatoire").lignes_texte == "ligne 8"
    assert _problem(report, "date_maj", "type").lignes == [6]
    assert _problem(report, "services", "pattern").lignes == [6]
    assert _problem(report, "id", "unique").lignes == [9]
    assert report.resume()[0].startswith("Le fichier ne respecte pas le standard")


def test_schema_typo_on_etapes_numeriques_is_only_a_warning(tmp_path):
    header, row = _example_rows()
    row[header.index("formations_labels")] = "Étapes numériques (La Poste)|ORDI 3.0"
    report = validate_csv(_write(tmp_path / "etapes.csv", header, [row]))
    assert report.valid
    assert _problem(report, "formations_labels", "coquille-du-schema").gravite == AVERTISSEMENT


def test_encoding_and_separator_are_blocking(tmp_path):
    header, row = _example_rows()
    cp1252 = _write(tmp_path / "cp1252.csv", header, [row], encoding="cp1252")
    report = validate_csv(cp1252)
    assert not report.valid and [p.code for p in report.problemes] == ["encodage"]
    semicolons = _write(tmp_path / "pv.csv", header, [row], delimiter=";")
    assert [p.code for p in validate_csv(semicolons).problemes] == ["separateur"]
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    assert [p.code for p in validate_csv(empty).problemes] == ["vide"]


def test_columns_missing_extra_or_out_of_order(tmp_path):
    header, row = _example_rows()
    keep = [i for i, name in enumerate(header) if name not in ("adresse", "horaires")]
    rows = [[row[i] for i in keep] + ["note"]]
    report = validate_csv(_write(tmp_path / "colonnes.csv", [header[i] for i in keep] + ["remarque"], rows))
    assert not report.valid
    assert _problem(report, "adresse", "colonne-obligatoire-absente").gravite == BLOQUANT
    assert _problem(report, "horaires", "colonne-absente").gravite == AVERTISSEMENT
    assert _problem(report, "remarque", "colonne-hors-standard").gravite == AVERTISSEMENT
    swapped = list(range(len(header)))
    swapped[13], swapped[14] = 14, 13
    report = validate_csv(_write(tmp_path / "ordre.csv", [header[i] for i in swapped], [[row[i] for i in swapped]]))
    assert report.valid and [p.code for p in report.problemes] == ["ordre-des-colonnes"]


def test_row_problems_on_a_places_frame():
    lieux = normalize(read_table(EXEMPLE, EXEMPLE.name), "exemple").lieux
    bad = pd.concat([lieux] * 4, ignore_index=True)
    bad.loc[1, "id"] = "autre"
    bad.loc[1, "telephone"] = "0450568749"
    bad.loc[2, ["id", "adresse", "services"]] = ["troisieme", "", "Aide aux démarches administratives|Cuisine"]
    bad.loc[3, ["id", "presentation_resume", "date_maj"]] = ["quatrieme", "x" * 281, "2024-02-30"]
    problems = row_problems(bad)
    assert problems.iloc[0] == []
    assert problems.iloc[1] == ["telephone au format invalide : « 0450568749 »"]
    assert problems.iloc[2] == [
        "champ obligatoire vide : adresse",
        "valeur hors liste dans services : « Cuisine »",
    ]
    assert "presentation_resume dépasse 280 caractères" in problems.iloc[3]
    assert any("date_maj" in p for p in problems.iloc[3])
    assert is_standard_ready(bad).tolist() == [True, False, False, False]


def test_row_problems_duplicate_ids_and_accepted_schema_typo():
    lieux = normalize(read_table(EXEMPLE, EXEMPLE.name), "exemple").lieux
    twice = pd.concat([lieux, lieux], ignore_index=True)
    twice.loc[1, "id"] = twice.loc[0, "id"]
    twice.loc[0, "formations_labels"] = "Étapes numériques(La Poste)"
    problems = row_problems(twice)
    assert problems.tolist() == [[f"identifiant en double : « {twice.loc[0, 'id']} »"]] * 2


@pytest.mark.parametrize(("rows", "text"), [([4], "ligne 4"), ([2, 3, 4, 9, 11, 12], "lignes 2–4, 9, 11–12")])
def test_row_ranges(rows, text):
    assert ProblemeValidation("x", "y", BLOQUANT, "m", "c", rows).lignes_texte == text


def test_written_cnfs_extract_has_only_the_problems_of_its_data(tmp_path):
    lieux = normalize(read_table(FIXTURES / "cnfs_extrait.json", "cnfs_extrait.json"), "cnfs").lieux
    out = tmp_path / "cnfs.csv"
    to_standard_csv(lieux, out)
    report = validate_csv(out)
    blocking = [(p.champ, p.lignes) for p in report.problemes if p.gravite == BLOQUANT]
    expected_rows = [i + 2 for i in range(len(lieux)) if not is_standard_ready(lieux).iloc[i]]
    assert sorted(r for _, rows in blocking for r in rows) == expected_rows
    assert {champ for champ, _ in blocking} == {"code_postal"}  # "380000" in the source
    assert list(csv.reader(out.open(encoding="utf-8")))[0] == list(field_names())
