"""E2SFCA accessibility: decay functions, a hand-computed micro-territory, and the `access` package."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from pyproj import Transformer
from scipy.spatial import cKDTree

from diagnostics import reference
from diagnostics.bench import lieux_france_services
from diagnostics.indicators import accessibilite as acc

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"

# Communes A (0, 0) 100 inh., B (3 km, 4 km) 200 inh., C (20 km, 0) 700 inh.; places P1 (0, 0), P2 (6 km, 8 km).
# Distances (km): A–P1 0, A–P2 10, B–P1 5, B–P2 5, C–P1 20, C–P2 16.1.
COMMUNES = pd.DataFrame(
    {"population": [100, 200, 700], "x": [0.0, 3000.0, 20000.0], "y": [0.0, 4000.0, 0.0], "zone_proj": ["metro"] * 3},
    index=pd.Index(["00001", "00002", "00003"], name="code"),
)
LIEUX = pd.DataFrame({"x": [0.0, 6000.0], "y": [0.0, 8000.0], "zone_proj": ["metro", "metro"]}, index=[10, 11])
PALIERS = {10: 1.0, 20: 0.5}


def _micro(rayon_km, lieux=LIEUX, **options):
    return acc.accessibilite_e2sfca(
        None, communes=COMMUNES, lieux_xy=lieux, rayon_km=rayon_km, decroissance=acc.step(PALIERS), **options
    )


def test_decays_match_the_access_package():
    d = np.array([0.0, 5.0, 10.0, 10.0001, 19.9, 20.0, 25.0])
    assert acc.step(PALIERS)(d).tolist() == [weights.step_fn(PALIERS)(x) for x in d]
    assert acc.gaussian(7.0)(d) == pytest.approx([weights.gaussian(7.0)(x) for x in d], rel=1e-15)
    assert acc.decroissance_par_defaut(20)(np.array([10.0]))[0] == pytest.approx(np.exp(-0.5))


def test_e2sfca_by_hand_with_a_stepped_decay():
    # Step 1: each place is reached by A and B with weight 1 and by C with weight 0.5 (P1 exactly at 20 km,
    # P2 at 16.1 km): demand 100 + 200 + 0.5 × 700 = 650, so R1 = R2 = 1/650.
    # Step 2: A and B reach both places with weight 1 (A–P2 exactly at 10 km): 2/650; C: 0.5/650 + 0.5/650.
    score = _micro(20)
    assert score.to_numpy() == pytest.approx(np.array([2, 2, 1]) / 650 * 10_000)
    # the catchment cuts what lies beyond it: at 17 km, C only reaches P2 (weight 0.5), P1 serves A and B only
    score = _micro(17)
    r1, r2 = 1 / 300, 1 / 650
    assert score.to_numpy() == pytest.approx(np.array([r1 + r2, r1 + r2, 0.5 * r2]) * 10_000)


def test_e2sfca_weighted_supply_by_hand():
    poids = pd.Series([2.0, 1.0], index=LIEUX.index)
    score = _micro(20, poids=poids)
    assert score.to_numpy() == pytest.approx(np.array([3, 3, 1.5]) / 650 * 10_000)


def test_missing_weights_take_the_median():
    valeurs, remplaces = acc.poids_offre(pd.Series([10.0, np.nan, 30.0, -1.0, 20.0]), pd.RangeIndex(5))
    assert valeurs.tolist() == [10.0, 20.0, 30.0, 20.0, 20.0] and remplaces == 2
    valeurs, remplaces = acc.poids_offre(None, pd.RangeIndex(3))
    assert valeurs.tolist() == [1.0, 1.0, 1.0] and remplaces == 0


def test_a_place_nobody_reaches_contributes_nothing():
    lieux = pd.concat([LIEUX, pd.DataFrame({"x": [500_000.0], "y": [0.0], "zone_proj": ["metro"]}, index=[12])])
    score = _micro(20, lieux)
    assert np.isfinite(score).all() and score.to_numpy() == pytest.approx(np.array([2, 2, 1]) / 650 * 10_000)


@pytest.fixture(scope="module")
def lieux_bretagne():
    lieux = lieux_france_services(FIXTURE)
    return lieux[lieux["code_insee"].str[:2].isin(["22", "29", "35", "56"])].reset_index(drop=True)


def _access_e2sfca(lieux, rayon_km, weight_fn, supply):
    """The `access` package on a cost table built here, independently (own projection, own KD-trees)."""
    communes = reference.communes().query("zone == 'metro'")
    vers_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    c_xy = np.column_stack(vers_l93.transform(communes["pos_lon"].to_numpy(), communes["pos_lat"].to_numpy()))
    l_xy = np.column_stack(vers_l93.transform(lieux["longitude"].to_numpy(), lieux["latitude"].to_numpy()))
    paires = cKDTree(c_xy).sparse_distance_matrix(cKDTree(l_xy), rayon_km * 1000, output_type="ndarray")
    couts = pd.DataFrame(
        {"origin": communes["code"].to_numpy()[paires["i"]], "dest": lieux.index.to_numpy()[paires["j"]],
         "cost": paires["v"] / 1000}
    )
    demande = pd.DataFrame(
        {"pop": communes["population"].astype(float).to_numpy()}, index=pd.Index(communes["code"], name="geoid")
    )
    offre = pd.DataFrame({"lieux": supply}, index=pd.Index(lieux.index, name="geoid"))
    modele = Access(demand_df=demande, demand_index=True, demand_value="pop", supply_df=offre, supply_index=True,
                    supply_value="lieux", cost_df=couts, cost_origin="origin", cost_dest="dest", cost_name="cost")
    res = modele.enhanced_two_stage_fca(name="e", weight_fn=weight_fn, max_cost=rayon_km)
    return res.iloc[:, 0].fillna(0.0) * 10_000


@pytest.mark.parametrize("decroissance", ["gaussienne", "paliers"])
def test_e2sfca_equals_access_on_a_real_departement(lieux_bretagne, decroissance):
    rayon = 20.0
    if decroissance == "gaussienne":
        ours, theirs = None, weights.gaussian(rayon / 2)
    else:
        ours, theirs = acc.step({5: 1.0, 10: 0.68, 20: 0.22}), weights.step_fn({5: 1.0, 10: 0.68, 20: 0.22})
    poids = pd.Series(np.arange(len(lieux_bretagne)) % 5 + 1.0, index=lieux_bretagne.index)
    attendu = _access_e2sfca(lieux_bretagne, rayon, theirs, poids.to_numpy())
    codes = reference.communes().query("dep == '29'")["code"]
    score = acc.accessibilite_e2sfca(lieux_bretagne, codes, rayon_km=rayon, decroissance=ours, poids=poids)
    attendu = attendu.reindex(codes).fillna(0.0)
    assert (score > 0).sum() > 250  # the comparison covers real values, not zeros
    ecart = np.abs(score.to_numpy() - attendu.to_numpy()) / np.maximum(np.abs(attendu.to_numpy()), 1e-300)
    assert ecart.max() < 1e-9


def test_supply_is_conserved_on_real_data(lieux_bretagne):
    # Σ population × score = every place reached by someone, counted once (a property of 2SFCA)
    score = acc.accessibilite_e2sfca(lieux_bretagne)
    population = reference.communes().set_index("code")["population"].reindex(score.index)
    assert (population * score).sum() / 10_000 == pytest.approx(len(lieux_bretagne), rel=1e-12)
