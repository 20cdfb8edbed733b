"""`--territoire "perimetre:Nom=…"`, `arr:…` and `--territoire-fichier FICHIER --nom NOM` on the commands
that take a territory, as a user runs them (real files, the embedded snapshot)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from diagnostics import perimetres, territories
from diagnostics.commandes import main

BASSIN = "perimetre:Bassin de Morlaix=epci:242900694,commune:29019"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _attendu():
    return territories.get("epci:242900694").population + territories.get("commune:29019").population


def test_indicateurs_of_a_perimeter_given_inline(capsys):
    code, out, err = run(capsys, "indicateurs", "--territoire", BASSIN)
    assert code == 0, err
    diag = json.loads(out)
    assert diag["territoire"]["nom"] == "Bassin de Morlaix" and diag["territoire"]["niveau"] == "perimetre"
    assert diag["population"] == _attendu() and diag["nb_communes"] == 17
    assert diag["perimetre"]["pairs"]["choix"] == "aucun"
    # Its identifier is the compact form: it opens the same perimeter again.
    assert territories.resolve(diag["territoire"]["id"]).population == _attendu()


def test_a_perimeter_from_a_csv_file_with_a_name(capsys, tmp_path):
    fichier = tmp_path / "communes.csv"
    fichier.write_text("code_insee;nom\n29019;Brest\n29151;Morlaix\n29009;ancien code de Concarneau\n", encoding="utf-8")
    code, out, err = run(capsys, "lieux", "--territoire-fichier", str(fichier), "--nom", "Trois villes", "--format", "csv")
    assert code == 0, err
    assert err.startswith("Trois villes (périmètre) : ")
    lignes = list(csv.DictReader(io.StringIO(out)))
    assert lignes and {l["code_insee"] for l in lignes} <= {"29019", "29151", "29039"}


def test_unknown_codes_in_a_file_stop_the_command_with_the_list(capsys, tmp_path):
    fichier = tmp_path / "communes.csv"
    fichier.write_text("code_insee\n29019\n99999\n2A999\n", encoding="utf-8")
    code, out, err = run(capsys, "indicateurs", "--territoire-fichier", str(fichier), "--nom", "Test")
    assert code != 0 and out == ""
    assert err.startswith("Erreur : ") and "« 99999 »" in err and "« 2A999 »" in err
    assert len(err.strip().splitlines()) == 1


def test_a_saved_json_perimeter_and_arr_on_the_command_line(capsys, tmp_path):
    t = perimetres.analyser("arr:293", "Pays de Morlaix").territoire(["arr:291"])
    fichier = tmp_path / "perimetre.json"
    fichier.write_bytes(perimetres.vers_json(t))
    code, out, err = run(capsys, "indicateurs", "--territoire-fichier", str(fichier))
    assert code == 0, err
    diag = json.loads(out)
    assert diag["territoire"]["nom"] == "Pays de Morlaix"
    assert diag["comparaison"]["mediane_pairs"]["nb_pairs"] == 1
    code, out, _ = run(capsys, "indicateurs", "--territoire", "arr:293", "--format", "csv")
    assert code == 0
    lignes = list(csv.reader(io.StringIO(out.lstrip("\ufeff")), delimiter=";"))
    assert len(lignes) - 1 == len(territories.get("arr:293").codes_communes)


@pytest.mark.parametrize("valeur, message", [
    ("perimetre:X=", "aucune commune"),
    ("perimetre:X=zzz", "« zzz »"),
    ("perimetre:Y2QJSS0uYRA89YiRiZGPR8ORmzmAmZFJkVWcGQDabc", "abîmé"),
])
def test_bad_perimeters_are_one_french_line(capsys, valeur, message):
    code, out, err = run(capsys, "lieux", "--territoire", valeur)
    assert code != 0 and out == ""
    assert err.startswith("Erreur : ") and message in err and len(err.strip().splitlines()) == 1


def test_carte_locale_and_rapport_take_a_perimeter(capsys, tmp_path):
    code, _, err = run(capsys, "carte-locale", "--territoire", BASSIN, "--sans-fond-de-carte", "--sortie", str(tmp_path / "carte"))
    assert code == 0, err
    assert (tmp_path / "carte" / "index.html").is_file() and "Bassin de Morlaix" in err
    code, out, err = run(capsys, "rapport", "--territoire", BASSIN, "--format", "html", "--sortie", str(tmp_path / "fiche"))
    assert code == 0, err
    pages = list((tmp_path / "fiche").glob("*.html"))
    assert pages and "Bassin de Morlaix" in pages[0].read_text(encoding="utf-8")


def test_territoire_and_territoire_fichier_exclude_each_other(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["lieux", "--territoire", "dep:29", "--territoire-fichier", str(tmp_path / "x.csv")])
    with pytest.raises(SystemExit):
        main(["lieux"])
