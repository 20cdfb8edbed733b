"""Where to open next: greedy maximal coverage."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostics.bench import lieux_france_services
from diagnostics.indicators import distances as dist
from diagnostics.indicators.implantation import ou_ouvrir

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"

# On a line (km): A 0 and B (3, 4) are already within 10 km of a place; C at 20 km (700 inh.) and D at 40 km
# (50 inh.) are not, and are 20 km apart, farther than any site's reach of 10 km.
COMMUNES = pd.DataFrame(
    {"nom": ["A", "B", "C", "D"], "population": [100, 200, 700, 50], "x": [0.0, 3000.0, 20000.0, 40000.0],
     "y": [0.0, 4000.0, 0.0, 0.0], "zone_proj": ["metro"] * 4},
    index=pd.Index(["00001", "00002", "00003", "00004"], name="code"),
)
DISTANCES = pd.Series([0.0, 5.0, 16.0, 30.0], index=COMMUNES.index)


def test_greedy_sites_by_hand():
    sites = ou_ouvrir(COMMUNES, DISTANCES, 5, rayon_km=10)
    # C first (700 new inhabitants), then D (50); a third site would cover no one, so it stops
    assert sites["code"].tolist() == ["00003", "00004"]
    assert sites["population_nouvellement_couverte"].tolist() == [700, 50]
    assert sites["communes_nouvellement_couvertes"].tolist() == [1, 1]
    assert sites["population_couverte_cumulee"].tolist() == [1000, 1050]
    assert sites["part_population_couverte"].tolist() == pytest.approx([1000 / 1050, 1.0])
    assert sites["rang"].tolist() == [1, 2]


def test_a_candidate_between_two_white_zones_wins():
    g = pd.DataFrame({"nom": ["G"], "population": [0], "x": [30000.0], "y": [0.0], "zone_proj": ["metro"]},
                     index=pd.Index(["99999"], name="code"))
    sites = ou_ouvrir(COMMUNES, DISTANCES, 2, rayon_km=10, candidats=pd.concat([COMMUNES, g]))
    # G is exactly 10 km from C and from D: one site covers 750 inhabitants, then nothing is left
    assert sites["code"].tolist() == ["99999"]
    assert sites["population_nouvellement_couverte"].tolist() == [750]


def test_nothing_to_cover():
    assert ou_ouvrir(COMMUNES, pd.Series(0.0, index=COMMUNES.index), 3).empty
    assert ou_ouvrir(COMMUNES.iloc[:0], DISTANCES.iloc[:0], 3).empty


def test_real_departement_first_site_is_the_best_single_site():
    lieux = lieux_france_services(FIXTURE)
    communes = dist.communes_choisies(dist.communes_projetees().query("dep == '29'").index)
    distances = dist.distance_plus_proche_lieu(lieux, communes.index)
    sites = ou_ouvrir(communes, distances, 5, rayon_km=10)
    assert len(sites) == 5 and sites["code"].isin(communes.index).all()
    gains = sites["population_nouvellement_couverte"].to_numpy()
    assert (np.diff(gains) <= 0).all()  # coverage gains can only shrink step after step
    # brute force on the first step: every candidate's uncovered population within 10 km
    xy = communes[["x", "y"]].to_numpy()
    loin = (distances > 10).to_numpy()
    portee = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) <= 10_000
    brut = (portee & loin[None, :]) @ communes["population"].to_numpy()
    assert gains[0] == brut.max() and sites["code"].iloc[0] == communes.index[int(np.argmax(brut))]
    # after the 5 sites, the white-zone population fell by exactly what the sites newly cover
    blanche = communes.loc[loin, "population"].sum()
    assert sites["population_couverte_cumulee"].iloc[-1] == communes["population"].sum() - blanche + gains.sum()
