"""Data quality: freshness boundaries, completeness, positions, contacts, where to fix, to-do list."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics.indicators import qualite
from diagnostics.standard.fields import to_places_frame

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
REFERENCE = date(2026, 6, 30)

FULL_ROW = {
    "id": "lieu-1", "pivot": "12345678900011", "nom": "Médiathèque", "commune": "Brest", "code_postal": "29200",
    "code_insee": "29019", "adresse": "1 rue de Siam", "latitude": 48.39, "longitude": -4.49, "typologie": "BIB",
    "telephone": "+33298000000", "courriels": "contact@mediatheque.fr", "site_web": "https://mediatheque.fr",
    "horaires": "Mo-Fr 09:00-12:00,14:00-17:00", "presentation_resume": "Ateliers", "presentation_detail": "Ateliers…",
    "source": "dora", "date_maj": "2026-05-01", "services": "Aide aux démarches administratives",
    "publics_specifiquement_adresses": "Seniors", "frais_a_charge": "Gratuit",
    "dispositif_programmes_nationaux": "France Services", "autres_formations_labels": "QPV",
    "modalites_accompagnement": "Accompagnement individuel", "fiche_acces_libre": "https://acceslibre.beta.gouv.fr/x",
    "prise_rdv": "https://rdv.example.fr",
}


def _places(rows) -> pd.DataFrame:
    return to_places_frame(pd.DataFrame(rows))


def test_freshness_boundaries_in_calendar_months():
    dates = ["2025-12-31", "2025-12-30", "2025-07-01", "2025-06-30", "2024-12-31", "2024-12-30",
             "1970-01-01", "1969-12-31", "", "pas une date", "2026-06-30T10:00:00"]
    classes = qualite.fraicheur(_places({"date_maj": dates}), REFERENCE)
    assert classes.tolist() == [
        "à jour", "à surveiller",  # exactly 6 months old is no longer "à jour"
        "à surveiller", "à vérifier",  # exactly 12 months
        "à vérifier", "à actualiser",  # exactly 18 months
        "à actualiser", "à actualiser", "à actualiser", "à actualiser",  # placeholders, missing, unreadable
        "à jour",
    ]
    assert list(classes.cat.categories) == list(qualite.CLASSES_FRAICHEUR)


def test_completeness_criteria_match_the_v5_weights():
    weights = [w for *_, w in qualite.CRITERES_COMPLETUDE]
    assert len(weights) == 24 and weights.count(2) == 19 and weights.count(1) == 5
    assert qualite.POIDS_TOTAL == 43
    light = {label for label, _, w in qualite.CRITERES_COMPLETUDE if w == 1}
    assert light == {"fiche Acceslibre", "latitude", "longitude", "prise de rendez-vous", "source"}


def test_completeness_of_a_full_and_a_sparse_record():
    sparse = {"nom": "Mairie", "adresse": "Place de la mairie", "commune": "Plouguin", "code_postal": "29830",
              "date_maj": "2026-01-15", "latitude": 48.5, "longitude": -4.6,
              "pivot": "00000000000000"}  # the unknown SIRET does not count
    score = qualite.completude(_places([FULL_ROW, sparse, {**sparse, "date_maj": "1970-01-01"}]))
    assert score.iloc[0] == pytest.approx(100.0)
    # nom, adresse, commune, code postal, date (2 each) + latitude, longitude (1 each) = 12 / 43.
    assert score.iloc[1] == pytest.approx(12 / 43 * 100)
    assert score.iloc[2] == pytest.approx(10 / 43 * 100)


def test_one_of_the_split_v0_fields_is_enough():
    row = {"prise_en_charge_specifique": "Surdité", "formations_labels": "ORDI 3.0"}
    met = qualite.criteres_remplis(_places([row])).iloc[0]
    assert met["publics"] and met["autres labels"] and not met["nom"]


def test_positions():
    places = _places([
        {"latitude": np.nan, "longitude": np.nan},
        {"latitude": 48.4, "longitude": -4.5, "position_approximative": True},
        {"latitude": 48.4, "longitude": -4.5,
         "anomalies": "code postal complété; coordonnées hors de la commune déclarée (3,4 km)"},
    ])
    pos = qualite.positions(places)
    assert pos["manquante"].tolist() == [True, False, False]
    assert pos["approximative"].tolist() == [False, True, False]
    assert pos["hors_commune"].tolist() == ["", "", "coordonnées hors de la commune déclarée (3,4 km)"]


def test_invalid_contacts():
    places = _places([
        {"telephone": "+33298000000", "courriels": "a@b.fr|pas-un-courriel", "site_web": "https://x.fr|www.y.fr"},
        {"telephone": "02 98 00 00 00", "prise_rdv": "rdv.fr", "fiche_acces_libre": "http://acceslibre.fr/z"},
        {"telephone": "+590590123456"},
    ])
    bad = qualite.contacts_invalides(places)
    assert bad["telephone"].tolist() == ["", "02 98 00 00 00", ""]
    assert bad["courriels"].tolist() == ["pas-un-courriel", "", ""]
    assert bad["site_web"].tolist() == ["www.y.fr", "", ""]
    assert bad["prise_rdv"].tolist() == ["", "rdv.fr", ""]
    assert bad["fiche_acces_libre"].tolist() == ["", "", ""]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("dora", "DORA"),
        ("Coop numérique", "La Coop de la médiation numérique"),
        ("conseiller-numerique", "La Coop de la médiation numérique"),
        ("Hinaura", "Hinaura"),
        ("cr93", "Hub du Sud"),
        ("aidants-connect", "Aidants Connect"),
        ("", "Cartographie nationale (cartographie.sonum@anct.gouv.fr)"),
        ("Mon réseau local", "Cartographie nationale (cartographie.sonum@anct.gouv.fr), source « Mon réseau local »"),
        ("cooperative-x", "Cartographie nationale"),  # "coop" must be a whole word
    ],
)
def test_where_to_fix(source, expected):
    assert qualite.ou_corriger(_places([{"source": source}])).iloc[0].startswith(expected)


def test_todo_list_sentences_and_order():
    broken = {**FULL_ROW, "id": "lieu-2", "nom": "Espace numérique", "telephone": "02 98 00 00 00",
              "horaires": "Sa 17:00", "date_maj": "1970-01-01", "latitude": np.nan, "longitude": np.nan,
              "source": "Hinaura"}
    old = {**FULL_ROW, "id": "lieu-3", "date_maj": "2024-01-10"}
    places = _places([FULL_ROW, broken, old])
    places.index = [10, 20, 30]
    todo = qualite.a_faire(places, REFERENCE, paires_doublons=pd.DataFrame())
    assert todo.index.tolist() == [20, 30]  # the full, fresh record has nothing to fix
    row = todo.loc[20]
    assert row["codes"].split("|") == ["date_absente", "position_manquante", "telephone_invalide",
                                       "horaires_illisibles"]
    assert "Téléphone au format non standard" in row["problemes"] and "« 02 98 00 00 00 »" in row["problemes"]
    assert "Horaires illisibles « Sa 17:00 »" in row["problemes"]
    assert row["ou_corriger"].startswith("Hinaura")
    assert todo.loc[30, "problemes"] == (
        "Fiche non mise à jour depuis plus de 18 mois (dernière mise à jour le 2024-01-10)."
    )


def test_todo_list_names_duplicates_from_given_pairs():
    places = _places([FULL_ROW, {**FULL_ROW, "id": "lieu-b", "nom": "Médiathèque de Brest"}])
    pairs = pd.DataFrame({"index_a": [0], "index_b": [1], "score": [0.93], "distance_m": [12.0],
                          "raisons": ["nom proche"]})
    todo = qualite.a_faire(places, REFERENCE, paires_doublons=pairs)
    assert todo.loc[0, "problemes"] == "Doublon probable de « Médiathèque de Brest » (ressemblance 93 %, à 12 m)."
    assert todo.loc[1, "codes"] == "doublon_probable"


def test_duplicates_come_from_the_doublons_module():
    twin = {**FULL_ROW, "id": "lieu-twin", "pivot": "00000000000000", "latitude": 48.3903, "longitude": -4.4902}
    places = _places([FULL_ROW, twin, {**FULL_ROW, "id": "ailleurs", "nom": "Cyberbase", "adresse": "9 rue Jean Jaurès",
                                        "pivot": "00000000000000", "latitude": 48.40, "longitude": -4.47}])
    pairs = qualite.doublons(places)
    assert pairs is not None
    assert {(a, b) for a, b in zip(pairs["index_a"], pairs["index_b"])} == {(0, 1)}
    todo = qualite.a_faire(places, REFERENCE)
    assert "doublon_probable" in todo.loc[0, "codes"] and 2 not in todo.index


def test_summary_on_real_rows_is_json_ready():
    from diagnostics.standard.normalize import normalize

    raw = json.loads((FIXTURES / "lieux_reels.json").read_text(encoding="utf-8"))
    places = normalize(raw, "fixture").lieux
    resume = qualite.resume_qualite(places, REFERENCE)
    json.dumps(resume, allow_nan=False)
    assert resume["nb_lieux"] == len(raw) == 24
    assert sum(c["nombre"] for c in resume["fraicheur"]) == 24
    # The fixture holds three 1970-01-01 placeholders and two rows without coordinates.
    assert resume["a_faire"]["par_probleme"]["date_absente"] >= 3
    assert resume["positions"]["manquantes"] >= 2
    assert 0 < resume["completude"]["moyenne"] < 100
    assert set(resume["a_faire"]["par_lieu_de_correction"]) <= {
        where for _, where in qualite.OU_CORRIGER
    } | {qualite.OU_CORRIGER_DEFAUT}
