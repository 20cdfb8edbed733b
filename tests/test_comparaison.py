"""Per-unit aggregation of per-commune vectors, national references and benchmarks."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics import reference, territories
from diagnostics.bench import lieux_france_services
from diagnostics.indicators import comparaison as cmp

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"

# Unit X: A, B, C (100, 200, 700 inh.) at 0, 5 and 16 km of a place, 2, 0 and 1 places, E2SFCA 30, 30, 15.
# Unit Y: D (50 inh.) in a zone without any place. Commune E has no unit.
VECTEURS = pd.DataFrame(
    {
        "population": [100, 200, 700, 50, 999],
        "nb_lieux": [2, 0, 1, 0, 4],
        "distance_km": [0.0, 5.0, 16.0, np.inf, 0.0],
        "acces_10000": [30.0, 30.0, 15.0, 0.0, 1.0],
        "dep": ["X", "X", "X", "Y", ""],
    },
    index=pd.Index(["A", "B", "C", "D", "E"], name="code"),
)


def test_figures_per_unit_by_hand():
    t = cmp.indicateurs_par_unite(VECTEURS, "dep", rayon_km=10, seuils_km=(5, 10, 20))
    assert list(t.index) == ["X", "Y"]
    x, y = t.loc["X"], t.loc["Y"]
    assert (x["population"], x["nb_communes"], x["nb_lieux"], x["communes_avec_lieu"]) == (1000, 3, 3, 2)
    assert x["lieux_pour_10000_habitants"] == pytest.approx(30.0)
    assert x["part_communes_avec_lieu"] == pytest.approx(2 / 3)
    assert x["part_population_commune_avec_lieu"] == pytest.approx(0.8)
    assert x["distance_moyenne_km"] == pytest.approx((0 + 5 * 200 + 16 * 700) / 1000)
    assert x["distance_mediane_km"] == 16.0  # 300 inhabitants within 5 km < half of 1,000
    assert [x[cmp.colonne_part(s)] for s in (5, 10, 20)] == pytest.approx([0.3, 0.3, 1.0])
    assert (x["zones_blanches_nb_communes"], x["zones_blanches_population"]) == (1, 700)
    assert x["zones_blanches_part_population"] == pytest.approx(0.7)
    assert x["accessibilite_moyenne"] == pytest.approx((30 * 300 + 15 * 700) / 1000)
    assert x["accessibilite_mediane"] == 15.0
    assert x["population_zone_sans_lieu"] == 0 and x["population_sans_acces"] == 0
    # Y: no place in its zone: infinite distance, beyond every threshold, outside the mean
    assert np.isnan(y["distance_moyenne_km"]) and y["distance_mediane_km"] == np.inf
    assert y["population_zone_sans_lieu"] == 50 and y["population_sans_acces"] == 50
    assert y[cmp.colonne_part(20)] == 0.0 and y["zones_blanches_population"] == 50


def test_one_unit_and_json_form():
    figures = cmp.figures_json(cmp.indicateurs(VECTEURS.iloc[:4], seuils_km=(5, 7.5)), (5, 7.5))
    assert figures["population"] == 1050 and isinstance(figures["population"], int)
    assert figures["part_population_a_moins_de"] == {"5": pytest.approx(300 / 1050), "7.5": pytest.approx(300 / 1050)}
    assert figures["distance_mediane_km"] == 16.0
    assert not any(k.startswith("part_population_a_moins_de_") for k in figures)
    solo = cmp.figures_json(cmp.indicateurs(VECTEURS.iloc[[3]]))
    assert solo["distance_moyenne_km"] is None and solo["distance_mediane_km"] is None  # NaN and inf


@pytest.fixture(scope="module")
def lieux():
    return lieux_france_services(FIXTURE)


@pytest.fixture(scope="module")
def refs(lieux):
    return cmp.references(lieux)


def test_population_totals_equal_the_reference_at_every_level(refs):
    par = refs.par_niveau
    deps = reference.departements().set_index("code")
    assert par["departement"]["population"].to_dict() == deps["population"].to_dict()
    assert par["departement"]["nb_communes"].to_dict() == deps["n_communes"].to_dict()
    assert par["region"]["population"].to_dict() == reference.regions().set_index("code")["population"].to_dict()
    epci = reference.epci().set_index("code")
    assert par["epci"]["population"].to_dict() == epci["population"].to_dict()
    assert par["epci"]["nb_communes"].to_dict() == epci["n_communes"].to_dict()
    assert par["france"].loc["france", "population"] == reference.communes()["population"].sum()
    assert par["commune"]["population"].sum() == reference.communes()["population"].sum()


def test_shares_never_decrease_with_the_threshold(lieux):
    seuils = (1, 2, 5, 10, 15, 20, 30, 50)
    vecteurs = cmp.vecteurs_communes(lieux, reference.communes().query("reg == '53'")["code"])
    t = cmp.indicateurs_par_unite(vecteurs, "epci", seuils_km=seuils)
    parts = t[[cmp.colonne_part(s) for s in seuils]].to_numpy()
    assert (np.diff(parts, axis=1) >= 0).all() and (parts[:, -1] == 1.0).all()


def test_benchmarks_against_parents_and_peers(refs):
    finistere = territories.get("dep:29")
    bloc = cmp.comparer(finistere, [territories.get(p) for p in finistere.parents], territories.peers(finistere), refs)
    assert set(bloc) == {"region", "france", "mediane_pairs"}
    assert bloc["region"]["id"] == "reg:53" and bloc["region"]["population"] == territories.get("reg:53").population
    pairs = refs.par_niveau["departement"].loc[["22", "35", "56"]]  # Bretagne without the Finistère
    assert bloc["mediane_pairs"]["nb_pairs"] == 3
    assert bloc["mediane_pairs"]["lieux_pour_10000_habitants"] == pytest.approx(
        pairs["lieux_pour_10000_habitants"].median(), abs=1e-4
    )
    assert bloc["mediane_pairs"]["part_population_a_moins_de"]["10"] == pytest.approx(
        pairs[cmp.colonne_part(10)].median(), abs=1e-6
    )
    brest = territories.get("commune:29019")
    bloc = cmp.comparer(brest, [territories.get(p) for p in brest.parents], territories.peers(brest), refs)
    assert set(bloc) == {"epci", "departement", "region", "france", "mediane_pairs"}
    assert bloc["mediane_pairs"]["nb_pairs"] == len(territories.get("epci:242900314").codes_communes) - 1


def test_references_are_cached_on_content(lieux, refs):
    assert cmp.references(lieux) is refs
    autre = lieux.copy()
    autre.loc[0, "code_commune_2026"] = "29019"
    assert cmp.references(autre) is not refs
    assert cmp.references(lieux, rayon_km=5) is not refs
