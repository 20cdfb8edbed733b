"""Duplicate candidates and merging, on hand-made places frames whose answer can be checked by eye."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from diagnostics.standard.doublons import (
    COLONNES_GROUPES,
    COLONNES_PAIRES,
    candidats_doublons,
    fusionner_doublons,
    identifiants_amont,
    normaliser_texte,
)
from diagnostics.standard.fields import PIVOT_INCONNU, canonical_columns, to_places_frame

BREST = dict(commune="Brest", code_postal="29200", code_commune_2026="29019")
QUIMPER = dict(commune="Quimper", code_postal="29000", code_commune_2026="29232")
METRES_PAR_DEGRE_LAT = 111_195.0


def _places(*rows: dict) -> pd.DataFrame:
    base = {"pivot": PIVOT_INCONNU, "date_maj": "2023-01-01", "origine": "test"}
    return to_places_frame(pd.DataFrame([{**base, "id": f"r{k}", **row} for k, row in enumerate(rows)]))


def _pairs(places, **kwargs) -> set[tuple]:
    return set(zip(*candidats_doublons(places, **kwargs)[["index_a", "index_b"]].to_numpy().T))


def test_text_normalisation():
    assert normaliser_texte("Médiathèque L'Épi — Saint-Étienne") == "mediatheque l epi saint etienne"


def test_same_name_with_other_accents_50_m_apart_is_a_pair():
    places = _places(
        dict(nom="Médiathèque François Mitterrand", adresse="22 rue Traverse", latitude=48.39, longitude=-4.486, **BREST),
        dict(
            nom="MEDIATHEQUE FRANCOIS MITTERRAND",
            adresse="22 R. Traverse",
            latitude=48.39 + 50 / METRES_PAR_DEGRE_LAT,
            longitude=-4.486,
            **BREST,
        ),
    )
    pairs = candidats_doublons(places)
    assert list(pairs.columns) == COLONNES_PAIRES
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert (pair["index_a"], pair["index_b"]) == (0, 1)
    assert pair["distance_m"] == pytest.approx(50, abs=1)
    assert pair["score_nom"] == 1 and pair["score_adresse"] == 1
    assert 0.8 <= pair["score"] < 1  # the distance signal is not full at 50 m
    assert "mêmes noms" in pair["raisons"] and "50 m" in pair["raisons"]


def test_same_name_in_two_communes_is_not_a_pair():
    places = _places(
        dict(nom="Médiathèque", adresse="1 place de la Mairie", latitude=48.39, longitude=-4.486, **BREST),
        dict(nom="Médiathèque", adresse="1 place de la Mairie", latitude=48.39, longitude=-4.486, **QUIMPER),
    )
    assert candidats_doublons(places).empty


def test_different_places_of_one_commune_are_not_pairs():
    places = _places(
        dict(nom="Mairie de Brest", adresse="2 rue Frézier", latitude=48.3905, longitude=-4.4865, **BREST),
        dict(nom="Médiathèque de Brest", adresse="2 rue Frézier", latitude=48.3905, longitude=-4.4865, **BREST),
        dict(nom="Centre social Kerangoff", adresse="5 rue de Kerangoff", latitude=48.38, longitude=-4.50, **BREST),
    )
    assert candidats_doublons(places).empty


def test_the_commune_name_inside_place_names_does_not_make_them_alike():
    town = dict(commune="Saint-Trivier-de-Courtes", code_postal="01560", code_commune_2026="01388")
    spot = dict(adresse="22 esplanade de la Poste", latitude=46.45916, longitude=5.083785)
    places = _places(
        dict(nom="France services de Saint-Trivier-de-Courtes", **spot, **town),
        dict(nom="Médiathèque de Saint-Trivier-de-Courtes", **spot, **town),
    )
    assert candidats_doublons(places).empty


def test_same_siret_at_the_same_address_is_a_pair_even_with_other_names():
    siret = "21290019700016"
    places = _places(
        dict(nom="Commune de Brest", adresse="2 rue Frézier", pivot=siret, latitude=48.3905, longitude=-4.4865, **BREST),
        dict(nom="Accueil de l'hôtel de ville", adresse="2 RUE FREZIER", pivot=siret, latitude=48.3905, longitude=-4.4865, **BREST),
        # Same SIRET (one body, several sites) elsewhere in the commune: another place.
        dict(nom="Commune de Brest - annexe", adresse="10 rue de Kerangoff", pivot=siret, latitude=48.38, longitude=-4.50, **BREST),
    )
    pairs = candidats_doublons(places)
    assert _pairs(places) == {(0, 1)}
    assert pairs.iloc[0]["score"] == 1 and f"même SIRET ({siret})" in pairs.iloc[0]["raisons"]


def test_the_unknown_pivot_is_not_a_signal():
    places = _places(
        dict(nom="Association A", adresse="1 rue A", latitude=48.39, longitude=-4.48, **BREST),
        dict(nom="Club B", adresse="9 rue B", latitude=48.38, longitude=-4.50, **BREST),
    )
    assert places["pivot"].eq(PIVOT_INCONNU).all()
    assert candidats_doublons(places).empty


def test_upstream_ids():
    assert identifiants_amont("mediation-numerique-france-services-19") == {"france-services:19"}
    assert identifiants_amont("1443-mediation-numerique-france-services") == {"france-services:1443"}
    assert identifiants_amont("aidants-connect-676|conseiller-numerique-63d29b78e6d6a806f2564504") == {
        "aidants-connect:676",
        "conseiller-numerique:63d29b78e6d6a806f2564504",
    }
    assert identifiants_amont("62592a1d05457b0790816e6c") == {"conseiller-numerique:62592a1d05457b0790816e6c"}
    assert identifiants_amont("dora-3d647b3a-a5b6-41f8-8374-ba37c1ff1746") == frozenset()


def test_same_upstream_id_is_a_pair_whatever_the_names():
    places = _places(
        dict(id="mediation-numerique-aidants-connect-3303", nom="CTAS Bordeaux - AASG", adresse="2 bd de l'Artillerie", **BREST),
        dict(id="aidants-connect-3303", nom="Antenne sociale des armées", adresse="Caserne Levasseur", **BREST),
    )
    pairs = candidats_doublons(places)
    assert len(pairs) == 1 and pairs.iloc[0]["score"] == 1
    assert "aidants-connect:3303" in pairs.iloc[0]["raisons"]


def test_two_france_services_labels_at_one_address_stay_apart():
    # The fixed site and its bus share an address but are two labels.
    common = dict(adresse="21 rue Gambetta", latitude=48.39, longitude=-4.486, **BREST)
    places = _places(
        dict(id="france-services-10", nom="France services Brest", **common),
        dict(id="france-services-11", nom="Bus France services Brest", **common),
        dict(id="62ab16a88255a806e299c876", nom="France Services Brest", origine="CNFS 2022", **common),
    )
    pairs = candidats_doublons(places)
    assert (0, 1) not in _pairs(places)
    assert {(0, 2), (1, 2)} <= _pairs(places)  # the CNFS row looks like both…
    dedup, groupes = fusionner_doublons(places, pairs)
    assert len(dedup) == 2  # …but joins only one of them: the labels are never merged together
    assert set(groupes["id"]) == {"france-services-10", "62ab16a88255a806e299c876"}


def test_approximate_positions_do_not_count_against_a_pair():
    far = 3000 / METRES_PAR_DEGRE_LAT
    text = dict(nom="Espace France Services", adresse="9 place de la Mairie", **BREST)
    approx = _places(
        dict(latitude=48.39, longitude=-4.486, **text),
        dict(latitude=48.39 + far, longitude=-4.486, position_approximative=True, **text),
    )
    pairs = candidats_doublons(approx)
    assert len(pairs) == 1 and "position approximative" in pairs.iloc[0]["raisons"]
    # Precise positions 3 km apart with only the name in common: two places.
    precise = _places(
        dict(latitude=48.39, longitude=-4.486, nom="Espace France Services", adresse="9 place de la Mairie", **BREST),
        dict(latitude=48.39 + far, longitude=-4.486, nom="Espace France Services", adresse="40 route de Gouesnou", **BREST),
    )
    assert candidats_doublons(precise).empty


def test_cnfs_and_france_services_pair_merges_with_both_dispositifs():
    places = _places(
        dict(
            id="62b9a2fcdd51e705b180a9e8",
            nom="France Services Digne-les-Bains",
            adresse="12 Avenue Demontzey",
            commune="DIGNE-LES-BAINS",
            code_postal="04000",
            code_commune_2026="04070",
            latitude=44.0925,
            longitude=6.2356,
            dispositif_programmes_nationaux="Conseillers numériques",
            services="Maîtrise des outils numériques du quotidien|Aide aux démarches administratives",
            telephone="+33492000000",
            date_maj="2022-06-28",
            origine="CNFS 2022",
            source="conseiller-numerique",
        ),
        dict(
            id="france-services-1234",
            nom="France services Digne-les-Bains",
            adresse="12 av. Demontzey",
            commune="Digne-les-Bains",
            code_postal="04000",
            code_commune_2026="04070",
            latitude=44.09255,
            longitude=6.23565,
            dispositif_programmes_nationaux="France Services",
            services="Aide aux démarches administratives",
            horaires="Mo-Fr 09:00-12:00",
            date_maj="2023-01-01",
            origine="France Services 2023",
            source="ANCT France Services (2023)",
        ),
        dict(nom="Médiathèque", adresse="1 rue Hubac", commune="Digne-les-Bains", code_postal="04000", code_commune_2026="04070"),
    )
    pairs = candidats_doublons(places)
    assert _pairs(places) == {(0, 1)}
    dedup, groupes = fusionner_doublons(places, pairs)
    assert len(dedup) == 2 and list(dedup.columns[:-1]) == canonical_columns()
    merged = dedup[dedup["id"] == "france-services-1234"].iloc[0]  # the most recent row represents the group
    assert merged["dispositif_programmes_nationaux"].split("|") == ["France Services", "Conseillers numériques"]
    assert set(merged["services"].split("|")) == {
        "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien",
    }
    assert merged["telephone"] == "+33492000000"  # filled from the CNFS row
    assert merged["horaires"] == "Mo-Fr 09:00-12:00"
    assert merged["origine"] == "CNFS 2022|France Services 2023"
    assert "62b9a2fcdd51e705b180a9e8" in merged["anomalies"] and "france-services-1234" in merged["anomalies"]
    assert list(groupes.columns) == COLONNES_GROUPES
    assert groupes.set_index("id")["representant"].to_dict() == {
        "62b9a2fcdd51e705b180a9e8": False,
        "france-services-1234": True,
    }
    # Nothing lost: rows in = rows out + rows absorbed.
    assert len(places) == len(dedup) + len(groupes) - groupes["groupe"].nunique()


def test_merge_keeps_the_precise_position_and_the_input_index_labels():
    places = _places(
        dict(nom="Tiers-lieu Sainte-Marthe", adresse="21 avenue Chiris", latitude=48.39, longitude=-4.486, **BREST),
        dict(
            nom="Tiers Lieu Ste Marthe",
            adresse="21 Av. Chiris",
            latitude=48.40,
            longitude=-4.49,
            position_approximative=True,
            date_maj="2024-02-22",
            **BREST,
        ),
    )
    places.index = [10, 20]
    pairs = candidats_doublons(places)
    assert _pairs(places) == {(10, 20)}
    dedup, groupes = fusionner_doublons(places, pairs)
    assert len(dedup) == 1
    row = dedup.iloc[0]
    assert row["id"] == "r1" and row["date_maj"] == "2024-02-22"  # most recent row…
    assert (row["latitude"], row["longitude"], row["position_approximative"]) == (48.39, -4.486, False)  # …precise point
    assert row.geometry.y == 48.39
    assert set(groupes["index"]) == {10, 20}


def test_small_and_empty_inputs():
    empty = _places()
    assert candidats_doublons(empty).empty
    assert list(candidats_doublons(empty).columns) == COLONNES_PAIRES
    one = _places(dict(nom="Seul", adresse="1 rue", **BREST))
    dedup, groupes = fusionner_doublons(one, candidats_doublons(one))
    assert len(dedup) == 1 and groupes.empty


def test_national_scale_takes_seconds():
    rng = np.random.default_rng(0)
    n, communes = 15_000, 1_000
    words = ["mairie", "mediatheque", "centre", "social", "espace", "numerique", "france", "services", "maison", "quartier"]
    streets = ["rue de la paix", "avenue jean jaures", "place de la mairie", "boulevard victor hugo", "route de brest"]
    code = rng.integers(0, communes, n)
    lat = 46 + code / communes + rng.normal(0, 0.005, n)
    frame = pd.DataFrame(
        {
            "id": [f"x{i}" for i in range(n)],
            "nom": [" ".join(rng.choice(words, 3)) for _ in range(n)],
            "adresse": [f"{rng.integers(1, 50)} {rng.choice(streets)}" for _ in range(n)],
            "commune": [f"Commune {c}" for c in code],
            "code_postal": [f"{10000 + c}" for c in code],
            "code_commune_2026": [f"{10000 + c}" for c in code],
            "latitude": lat,
            "longitude": 2 + rng.normal(0, 0.005, n),
        }
    )
    places = to_places_frame(frame)
    start = time.perf_counter()
    pairs = candidats_doublons(places)
    dedup, groupes = fusionner_doublons(places, pairs)
    elapsed = time.perf_counter() - start
    assert elapsed < 15, f"{elapsed:.1f} s"
    assert n == len(dedup) + len(groupes) - groupes["groupe"].nunique()


def test_duplicate_index_labels_are_refused():
    places = _places(dict(nom="A", adresse="1 rue", **BREST), dict(nom="A", adresse="1 rue", **BREST))
    places.index = [0, 0]
    with pytest.raises(ValueError, match="index"):
        candidats_doublons(places)
