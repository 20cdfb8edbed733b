"""Nearest-place distances, weighted statistics, white zones and OSRM road times."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from diagnostics import reference
from diagnostics.bench import lieux_france_services
from diagnostics.indicators import distances as dist
from diagnostics.indicators import temps_route

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"


def _points(rows, index):
    return pd.DataFrame(rows, columns=["x", "y", "zone_proj"], index=index)


# Three communes, two places, in metres: A (0, 0) 100 inh., B (3 km, 4 km) 200 inh., C (20 km, 0) 700 inh.;
# P1 at A's point, P2 at (6 km, 8 km). Nearest: A 0 km, B 5 km (both), C √(14² + 8²) = 16.1245 km (P2).
COMMUNES = pd.DataFrame(
    {"nom": ["A", "B", "C"], "population": [100, 200, 700], "x": [0.0, 3000.0, 20000.0], "y": [0.0, 4000.0, 0.0],
     "zone_proj": ["metro"] * 3},
    index=pd.Index(["00001", "00002", "00003"], name="code"),
)
LIEUX = _points([(0.0, 0.0, "metro"), (6000.0, 8000.0, "metro")], index=[10, 11])
D_C = float(np.hypot(14.0, 8.0))


@pytest.fixture(scope="module")
def lieux_reels():
    return lieux_france_services(FIXTURE)


def test_nearest_distance_by_hand():
    d = dist.distance_plus_proche(COMMUNES, LIEUX)
    assert list(d.index) == ["00001", "00002", "00003"]
    assert d.to_numpy() == pytest.approx([0.0, 5.0, D_C])


def test_places_serve_only_their_own_zone():
    communes = COMMUNES.assign(zone_proj=["metro", "971", "972"])
    lieux = _points([(0.0, 0.0, "metro"), (3000.0, 4000.0, "972"), (0.0, 0.0, "")], index=[1, 2, 3])
    d = dist.distance_plus_proche(communes, lieux)
    # B is in Guadeloupe where there is no place at all; C's nearest is the Martinique place.
    assert d.tolist() == [0.0, np.inf, pytest.approx(np.hypot(17.0, 4.0))]


def test_weighted_mean_median_and_shares_by_hand():
    d = dist.distance_plus_proche(COMMUNES, LIEUX)
    pop = COMMUNES["population"]
    assert dist.moyenne_ponderee(d, pop) == pytest.approx((0 * 100 + 5 * 200 + D_C * 700) / 1000)
    # cumulative population by distance: 100 (0 km), 300 (5 km), 1000 (16.1 km): half is reached at C.
    assert dist.mediane_ponderee(d, pop) == pytest.approx(D_C)
    parts = dist.part_population_a_moins_de(d, pop, (5, 10, 20))
    assert parts == {5: pytest.approx(0.3), 10: pytest.approx(0.3), 20: pytest.approx(1.0)}


def test_weighted_median_definition():
    # exactly half the weight at 1: the smallest value reaching half is 1
    assert dist.mediane_ponderee([2.0, 1.0], [1, 1]) == 1.0
    assert dist.mediane_ponderee([1.0, 2.0, 3.0], [1, 1, 3]) == 3.0
    assert dist.mediane_ponderee([1.0, np.nan, np.inf], [1, 5, 2]) == np.inf  # NaN ignored, inf ranks last
    assert np.isnan(dist.mediane_ponderee([1.0, 2.0], [0, 0]))


def test_grouped_weighted_median_matches_one_group_at_a_time():
    rng = np.random.default_rng(3)
    valeurs = rng.exponential(5, 500).round(1)  # ties on purpose
    poids = rng.integers(0, 50, 500)
    groupes = rng.integers(0, 7, 500)
    attendu = [dist.mediane_ponderee(valeurs[groupes == k], poids[groupes == k]) for k in range(7)]
    assert dist.mediane_ponderee_par_groupe(valeurs, poids, groupes, 7).tolist() == attendu
    # and the single-group version against a plain sort
    ordre = np.argsort(valeurs, kind="stable")
    cumul = np.cumsum(poids[ordre])
    assert dist.mediane_ponderee(valeurs, poids) == valeurs[ordre][np.searchsorted(cumul, poids.sum() / 2)]


def test_white_zones_by_hand():
    d = dist.distance_plus_proche(COMMUNES, LIEUX)
    zb = dist.zones_blanches(COMMUNES, d, rayon_km=4)
    assert zb["code"].tolist() == ["00003", "00002"]  # most populated first
    assert zb["population"].tolist() == [700, 200]
    assert zb["distance_km"].tolist() == pytest.approx([D_C, 5.0])
    assert dist.zones_blanches(COMMUNES, d, rayon_km=20).empty


def test_projection_zones_of_real_places(lieux_reels):
    xy = dist.projeter_lieux(lieux_reels)
    dep = lieux_reels["code_insee"].str[:3]
    assert (xy.loc[dep.str[:2].isin(["22", "29", "35", "56"]).to_numpy(), "zone_proj"] == "metro").all()
    assert (xy.loc[(dep == "974").to_numpy(), "zone_proj"] == "974").all()
    # Saint-Martin has no reference geography: kept, flagged, not projected
    hors = (dep == "978").to_numpy()
    assert hors.sum() == 2 and (xy.loc[hors, "zone_proj"] == "").all() and xy.loc[hors, "x"].isna().all()


def test_nearest_distance_matches_geopandas_on_a_real_departement(lieux_reels):
    d = dist.distance_plus_proche_lieu(lieux_reels, reference.communes().query("dep == '29'")["code"])
    communes = reference.communes().query("dep == '29'")
    points = gpd.GeoDataFrame(
        {"code": communes["code"].to_numpy()},
        geometry=gpd.points_from_xy(communes["pos_lon"], communes["pos_lat"]),
        crs=4326,
    ).to_crs(2154)
    lieux = lieux_reels[lieux_reels["code_insee"].str[:2].isin(["22", "29", "35", "56"])].to_crs(2154)
    attendu = gpd.sjoin_nearest(points, lieux[["geometry"]], distance_col="d").groupby("code")["d"].min() / 1000
    assert d.sort_index().to_numpy() == pytest.approx(attendu.sort_index().to_numpy(), rel=1e-9)


def test_share_within_never_decreases_on_real_data(lieux_reels):
    communes = reference.communes().query("reg == '53'")
    d = dist.distance_plus_proche_lieu(lieux_reels, communes["code"])
    parts = dist.part_population_a_moins_de(d, communes["population"].to_numpy(), np.arange(0, 31, 0.5))
    valeurs = list(parts.values())
    assert valeurs == sorted(valeurs) and valeurs[0] < valeurs[-1] == 1.0


class _FauxOSRM(BaseHTTPRequestHandler):
    """Answers the table service like OSRM: durations (s) = 60 × 100 m straight-line units, or errors."""

    requetes: list[str] = []

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)  # not urlparse: it would cut the path at the first ";"
        type(self).requetes.append(self.path)
        if url.path.startswith("/erreur"):
            return self._repondre(400, {"code": "InvalidQuery", "message": "bad"})
        coords = [tuple(map(float, c.split(","))) for c in url.path.rsplit("/", 1)[1].split(";")]
        q = parse_qs(url.query)
        sources = [int(i) for i in q["sources"][0].split(";")]
        dests = [int(i) for i in q["destinations"][0].split(";")]
        durees = [
            [None if coords[d][0] < -100 else 60.0 * abs(coords[s][0] - coords[d][0]) * 1000 for d in dests]
            for s in sources
        ]
        self._repondre(200, {"code": "Ok", "durations": durees})

    def _repondre(self, statut, corps):
        donnees = json.dumps(corps).encode()
        self.send_response(statut)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(donnees)))
        self.end_headers()
        self.wfile.write(donnees)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def osrm():
    serveur = ThreadingHTTPServer(("127.0.0.1", 0), _FauxOSRM)
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    yield f"http://127.0.0.1:{serveur.server_address[1]}"
    serveur.shutdown()
    serveur.server_close()


def test_road_times_parse_the_table_and_split_requests(osrm):
    _FauxOSRM.requetes.clear()
    origines = [(2.0, 48.0), (2.001, 48.0), (2.003, 48.0)]
    destinations = [(2.002, 48.0), (-170.0, 0.0)]
    temps = temps_route.road_times(origines, destinations, osrm, taille_max=4)  # 2 origins + 2 destinations per request
    assert len(_FauxOSRM.requetes) == 2
    assert temps[:, 0] == pytest.approx([2.0, 1.0, 1.0])  # 60 s per 0.001° in the fake server → minutes
    assert np.isnan(temps[:, 1]).all()  # null duration: unroutable


def test_road_times_error_is_a_french_message(osrm):
    with pytest.raises(temps_route.OSRMIndisponible, match="serveur OSRM"):
        temps_route.road_times([(2.0, 48.0)], [(2.1, 48.0)], f"{osrm}/erreur")
    with pytest.raises(temps_route.OSRMIndisponible, match="n'a pas répondu"):
        temps_route.road_times([(2.0, 48.0)], [(2.1, 48.0)], "http://127.0.0.1:9", timeout=2)


def test_nearest_road_time_keeps_the_fastest_candidate(osrm, lieux_reels):
    communes = dist.communes_choisies(["29019", "29232", "97411"])
    temps = temps_route.temps_plus_proche(communes, lieux_reels, osrm, candidats=3)
    xy = dist.projeter_lieux(lieux_reels)
    for code in communes.index:
        c = communes.loc[code]
        zone = xy[xy["zone_proj"] == c["zone_proj"]]
        proches = np.argsort(np.hypot(zone["x"] - c["x"], zone["y"] - c["y"]).to_numpy())[:3]
        attendu = (60.0 * np.abs(zone["lon"].to_numpy()[proches] - c["lon"]) * 1000 / 60).min()
        assert temps[code] == pytest.approx(attendu, abs=0.01)  # coordinates travel with 6 decimals
