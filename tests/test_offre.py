"""Offer profile and per-service white zones on hand-made frames, then on real places."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics.indicators import offre
from diagnostics.standard.fields import ENUMS, to_places_frame, typologie_labels

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
DEMARCHES = "Aide aux démarches administratives"
LOISIRS = "Loisirs et créations numériques"
INTERNET = "Accès internet et matériel informatique"


def test_service_counts_keep_every_standard_value_in_order():
    places = to_places_frame(pd.DataFrame({"services": [
        f"{DEMARCHES}|{LOISIRS}", DEMARCHES, "", f"Service maison|{DEMARCHES}|{DEMARCHES}",
    ]}))
    table = offre.profil(places, "services")
    assert table["valeur"].tolist() == [*ENUMS["services"], "Service maison", ""]
    counts = dict(zip(table["valeur"], table["nombre"]))
    assert counts[DEMARCHES] == 3  # a value repeated in one cell counts once
    assert counts[LOISIRS] == 1 and counts[INTERNET] == 0
    assert counts["Service maison"] == 1 and counts[""] == 1
    assert table.set_index("valeur").loc[DEMARCHES, "part"] == pytest.approx(0.75)
    assert table.set_index("valeur").loc["Service maison", "hors_standard"]
    assert table.iloc[-1]["libelle"] == "Non renseigné"


def test_typologie_uses_labels_and_most_frequent_first():
    places = to_places_frame(pd.DataFrame({"typologie": ["CCAS|MUNI", "CCAS", "XYZ", ""]}))
    table = offre.profil(places, "typologie")
    assert table["valeur"].tolist() == ["CCAS", "MUNI", "XYZ", ""]
    assert table["nombre"].tolist() == [2, 1, 1, 1]
    assert table.iloc[0]["libelle"] == typologie_labels()["CCAS"]
    assert table["hors_standard"].tolist() == [False, False, True, False]


def test_every_profiled_field_on_an_empty_frame():
    places = to_places_frame(pd.DataFrame({"nom": []}))
    for champ in offre.PROFILS:
        table = offre.profil(places, champ)
        assert table["nombre"].sum() == 0 and table["part"].isna().all()


def _line_communes() -> pd.DataFrame:
    # Three communes on the equator, 0.1° of longitude ≈ 11.1 km apart (away from 0,0, which the
    # places frame reads as "no coordinates").
    return pd.DataFrame({"code": ["A", "B", "C"], "nom": ["Aa", "Bb", "Cc"], "population": [100, 200, 300],
                         "lon": [1.0, 1.1, 1.3], "lat": [0.0, 0.0, 0.0]})


def _nearest_fn(communes, by_code=True):
    calls = []

    def nearest(subset):
        assert len(subset), "never called with an empty subset"
        calls.append(len(subset))
        km = np.array([[abs(c_lon - p.x) * 111.2 for p in subset.geometry] for c_lon in communes["lon"]]).min(axis=1)
        return pd.Series(km, index=communes["code"] if by_code else communes.index)

    nearest.calls = calls
    return nearest


def test_white_zones_per_service_by_hand():
    communes = _line_communes()
    places = to_places_frame(pd.DataFrame({
        "services": [DEMARCHES, INTERNET, DEMARCHES],
        "latitude": [0.0, 0.0, np.nan],
        "longitude": [1.0, 1.3, np.nan],
    }))
    nearest = _nearest_fn(communes)
    table = offre.zones_blanches_offre(places, communes, nearest, "services", seuil_km=10).set_index("valeur")
    # Démarches offered at A only: B (11 km) and C (33 km) are beyond 10 km.
    assert table.loc[DEMARCHES].to_dict() == {
        "nb_lieux": 2, "nb_lieux_sans_position": 1, "population_au_dela": 500,
        "part_population_au_dela": pytest.approx(500 / 600), "nb_communes_au_dela": 2,
    }
    assert table.loc[INTERNET, "population_au_dela"] == 300  # A and B
    assert table.loc[LOISIRS, "population_au_dela"] == 600  # offered nowhere
    assert len(nearest.calls) == 2  # only the two services someone offers


def test_white_zones_work_for_publics_and_either_index():
    communes = _line_communes()
    places = to_places_frame(pd.DataFrame({
        "publics_specifiquement_adresses": ["Seniors|Jeunes", "Jeunes"],
        "latitude": [0.0, 0.0], "longitude": [1.1, 1.3],
    }))
    table = offre.zones_blanches_offre(places, communes, _nearest_fn(communes, by_code=False),
                                       "publics_specifiquement_adresses", seuil_km=15).set_index("valeur")
    assert table.loc["Seniors", "population_au_dela"] == 300  # C is 22 km from B
    assert table.loc["Jeunes", "population_au_dela"] == 0
    far = offre.communes_eloignees(places, communes, _nearest_fn(communes), "publics_specifiquement_adresses",
                                   "Seniors", seuil_km=15)
    assert far["code"].tolist() == ["C"] and far["distance_km"].iloc[0] == pytest.approx(22.24)


def test_summary_is_json_ready():
    communes = _line_communes()
    places = to_places_frame(pd.DataFrame({"services": [DEMARCHES, ""], "frais_a_charge": ["Gratuit", ""],
                                           "latitude": [0.0, 0.0], "longitude": [1.0, 1.1]}))
    resume = offre.resume_offre(places, communes=communes, nearest_fn=_nearest_fn(communes), seuil_km=10)
    json.dumps(resume, allow_nan=False)
    assert list(resume["profils"]) == list(offre.PROFILS)
    frais = resume["profils"]["frais_a_charge"]
    assert [v["nombre"] for v in frais["valeurs"]] == [1, 0, 0] and frais["non_renseigne"] == 1
    services = resume["zones_blanches_par_service"]["services"]
    assert [s["service"] for s in services] == list(ENUMS["services"])
    assert services[0]["population_au_dela"] == 500


def test_real_places_profile_and_white_zones():
    from diagnostics.indicators.distances import distance_plus_proche_lieu
    from diagnostics.reference import communes as all_communes
    from diagnostics.standard.normalize import normalize

    raw = json.loads((FIXTURES / "lieux_reels.json").read_text(encoding="utf-8"))
    places = normalize(raw, "fixture").lieux
    table = offre.profil(places, "services")
    non_empty = places["services"].map(bool).sum()
    assert table.loc[table["valeur"] != "", "nombre"].max() <= non_empty
    assert table.loc[table["valeur"] == "", "nombre"].item() == len(places) - non_empty

    charente = all_communes()
    charente = charente[charente["dep"] == "16"]
    codes = charente["code"].tolist()
    zones = offre.zones_blanches_offre(places, charente, lambda s: distance_plus_proche_lieu(s, codes), "services")
    total = charente["population"].sum()
    assert zones["population_au_dela"].between(0, total).all()
    # A service nobody offers leaves the whole population beyond reach.
    missing = zones[zones["nb_lieux"] == 0]
    assert (missing["population_au_dela"] == total).all()
