"""Density of places: counts per commune and per-territory figures."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics import reference
from diagnostics.bench import lieux_france_services
from diagnostics.indicators import comparaison as cmp
from diagnostics.indicators import densite
from diagnostics.standard.fields import to_places_frame

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"


def _lieux(codes):
    return to_places_frame(pd.DataFrame({"id": [str(i) for i in range(len(codes))], "code_commune_2026": codes}))


def test_places_per_commune_by_hand():
    lieux = _lieux(["00001", "00001", "00003", "", "99999"])  # no commune, unknown commune: counted nowhere
    comptes = densite.lieux_par_commune(lieux, ["00001", "00002", "00003"])
    assert comptes.to_dict() == {"00001": 2, "00002": 0, "00003": 1}


def test_density_of_a_micro_territory_by_hand():
    population = pd.Series([100, 200, 700], index=["00001", "00002", "00003"])
    nb = pd.Series([2, 1], index=["00001", "00003"])  # B has none
    figures = densite.resume_densite(population, nb)
    assert figures == {
        "population": 1000,
        "nb_communes": 3,
        "nb_lieux": 3,
        "lieux_pour_10000_habitants": pytest.approx(30.0),
        "communes_avec_lieu": 2,
        "part_communes_avec_lieu": pytest.approx(2 / 3),
        "part_population_commune_avec_lieu": pytest.approx(0.8),
    }


def test_density_per_group_and_empty_population():
    colonnes = densite.densite_par_groupe([100, 0, 50], [1, 3, 0], np.array([0, 1, 0]), 2)
    assert colonnes["nb_lieux"].tolist() == [1, 3]
    assert colonnes["lieux_pour_10000_habitants"][0] == pytest.approx(10_000 / 150)
    assert np.isnan(colonnes["lieux_pour_10000_habitants"][1])  # no inhabitants: undefined, not infinite


def test_places_per_10000_of_a_small_epci_match_a_count_by_hand():
    communes = reference.communes()
    epci = "242900793"  # CC Communauté Lesneven Côte des Légendes: 14 communes, 2 France Services
    membres = communes[communes["epci"] == epci]
    assert 10 < len(membres) < 30
    # by hand: rows of the raw file whose INSEE code is one of the EPCI's communes
    brut = pd.read_csv(FIXTURE, dtype=str)
    nb = int(brut["insee_com"].isin(set(membres["code"])).sum())
    assert nb == 2
    lieux = lieux_france_services(FIXTURE)
    vecteurs = cmp.vecteurs_communes(lieux, membres["code"])
    figures = cmp.indicateurs(vecteurs)
    assert figures["nb_lieux"] == nb
    assert figures["population"] == membres["population"].sum()
    assert figures["lieux_pour_10000_habitants"] == pytest.approx(nb / membres["population"].sum() * 10_000)
