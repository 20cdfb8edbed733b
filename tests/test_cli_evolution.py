"""`diagnostic evolution` as a user runs it: two real files of the same hub, the embedded snapshot, the
formats, and the French failures (exit status 1, one line, no traceback)."""
from __future__ import annotations

import html
import io
import json
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from diagnostics.commandes import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "evolution"
V0 = str(FIXTURES / "hub_du_sud_2023-05-17_v0.json")
V1 = str(FIXTURES / "hub_du_sud_2024-09-12_v1.json")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_deux_fichiers(capsys):
    code, out, err = run(capsys, "evolution", "-t", "reg:93", "--avant", V0, "--apres", V1)
    assert code == 0
    resultat = json.loads(out)
    assert resultat["ouverts"] == resultat["fermes"] == resultat["deplaces"] == resultat["modifies"] == []
    assert resultat["avant"]["source"] == resultat["apres"]["source"] == "fichier"
    assert resultat["avant"]["nb_lieux"] == resultat["apres"]["nb_lieux"] > 600
    assert "0 lieux ouverts, 0 fermés" in err


def test_fichier_contre_instantane_embarque(capsys):
    """The hub's 2023 file against the snapshot (which holds that file merged with national sources)."""
    code, out, _ = run(capsys, "evolution", "-t", "dep:05", "--avant", V1, "--apres", "embarque", "--format", "json")
    assert code == 0
    r = json.loads(out)
    assert r["apres"]["source"] == "embarque"
    assert r["apres"]["nb_lieux"] == r["avant"]["nb_lieux"] + len(r["ouverts"]) - len(r["fermes"])
    assert len(r["ouverts"]) > 0  # France Services, Aidants Connect… that the hub's file did not list
    methodes = {m for m in r["appariement"]}
    assert methodes <= {"même identifiant", "règle des doublons"}


def test_csv_et_xlsx(capsys, tmp_path):
    code, out, _ = run(capsys, "evolution", "-t", "dep:05", "--avant", V1, "--apres", "embarque", "--format", "csv")
    assert code == 0
    assert out.startswith("\ufeff") and out.splitlines()[0].lstrip("\ufeff").startswith("Changement;Identifiant;Nom")
    assert "ouvert;" in out
    sortie = tmp_path / "evolution.xlsx"
    code, _, _ = run(capsys, "evolution", "-t", "dep:05", "--avant", V1, "--apres", "embarque", "--format", "xlsx",
                     "--sortie", str(sortie))
    assert code == 0
    classeur = load_workbook(io.BytesIO(sortie.read_bytes()))
    assert {"Indicateurs", "Changements", "Zones blanches", "Par dispositif"} <= set(classeur.sheetnames)
    assert classeur["Changements"].max_row > 1


def test_xlsx_sans_sortie(capsys):
    code, out, err = run(capsys, "evolution", "-t", "dep:05", "--avant", V1, "--apres", "embarque", "--format", "xlsx")
    assert code == 1 and out == ""
    assert err.startswith("Erreur : ") and "--sortie" in err


def test_source_illisible_message_francais(capsys, tmp_path):
    casse = tmp_path / "casse.json"
    casse.write_text("{pas du json", encoding="utf-8")
    code, out, err = run(capsys, "evolution", "-t", "dep:05", "--avant", str(casse), "--apres", "embarque")
    assert code == 1 and out == ""
    assert err.startswith("Erreur : Photo « avant » : ") and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "evolution", "-t", "dep:05", "--avant", "embarque", "--apres", str(tmp_path / "absent.csv"))
    assert code == 1 and "Photo « après »" in err and "introuvable" in err


def test_processus_entier_sans_trace(tmp_path):
    """As a whole process: a bad territory exits with status 1 and one French line, no traceback."""
    p = subprocess.run(
        [sys.executable, "-m", "diagnostics", "evolution", "-t", "dep:99", "--avant", "embarque", "--apres", V1],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert p.returncode == 1
    assert p.stderr.startswith("Erreur : ") and "Traceback" not in p.stderr


def test_fiche_territoire_avec_evolution(capsys, tmp_path):
    """`rapport --avant`: the fiche gets its « Évolution » section, with the comparison's own labels."""
    code, out, err = run(capsys, "rapport", "-t", "dep:05", "--avant", V1, "--format", "html", "--sortie", str(tmp_path))
    assert code == 0, err
    page = html.unescape(next(tmp_path.glob("*.html")).read_text(encoding="utf-8"))
    assert "Évolution" in page and "Chiffres clés au 13 mai 2023 et au 22 février 2024" in page
    assert "Habitants à moins de 10 km d'un lieu" in page
    assert "Fichier hub_du_sud_2024-09-12_v1.json" in page


def test_fiche_apres_sans_avant(capsys, tmp_path):
    code, _, err = run(capsys, "rapport", "-t", "dep:05", "--apres", V1, "--format", "html", "--sortie", str(tmp_path))
    assert code == 1 and "--avant" in err


def test_historique_ajouter_lister_comparer_retirer(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "cache"))
    code, ref_v0, err = run(capsys, "historique", "-t", "reg:93", "--ajouter", V0, "--date", "2023-05-17")
    assert code == 0 and ref_v0.startswith("historique:2023-05-17"), err
    code, ref_v1, _ = run(capsys, "historique", "-t", "reg:93", "--ajouter", V1, "--date", "2024-09-12")
    assert code == 0
    code, out, err = run(capsys, "historique", "-t", "reg:93")
    lignes = [ligne.split("\t") for ligne in out.splitlines()]
    assert [ligne[0] for ligne in lignes] == [ref_v1.strip(), ref_v0.strip()]  # newest first
    assert "2 photos" in err
    code, out, err = run(capsys, "evolution", "-t", "reg:93", "--avant", "historique:2023-05-17",
                         "--apres", "historique:2024-09-12")
    assert code == 0, err
    r = json.loads(out)
    assert (r["avant"]["date"], r["apres"]["date"]) == ("2023-05-17", "2024-09-12")
    assert r["avant"]["source"] == r["apres"]["source"] == "historique"
    assert r["ouverts"] == r["fermes"] == [] and r["modifies"] == []
    code, _, err = run(capsys, "evolution", "-t", "reg:93", "--avant", "historique:2020-01-01", "--apres", "embarque")
    assert code == 1 and "photos disponibles du 12/09/2024, 17/05/2023" in err
    code, _, _ = run(capsys, "historique", "-t", "reg:93", "--retirer", ref_v0.strip())
    assert code == 0
    code, out, _ = run(capsys, "historique", "-t", "reg:93")
    assert len(out.splitlines()) == 1


def test_historique_refuse_un_fichier_illisible_et_une_date_future(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path / "cache"))
    casse = tmp_path / "casse.json"
    casse.write_text("{pas du json", encoding="utf-8")
    code, _, err = run(capsys, "historique", "-t", "reg:93", "--ajouter", str(casse), "--date", "2024-01-01")
    assert code == 1 and err.startswith("Erreur : ")
    code, _, err = run(capsys, "historique", "-t", "reg:93", "--ajouter", V1, "--date", "2999-01-01")
    assert code == 1 and err.startswith("Erreur : ")
    assert not list((tmp_path / "cache").rglob("*.photo"))
