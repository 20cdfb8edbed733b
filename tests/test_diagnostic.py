"""The one-call diagnostic (JSON-serializable dict) and the per-child-unit table."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from diagnostics import places, reference, territories
from diagnostics.bench import lieux_france_services
from diagnostics.diagnostic import PARTIES, diagnostic, table_unites
from diagnostics.indicators import horaires
from diagnostics.sources.base import SourceIndisponible, SourceInfo
from diagnostics.standard.fields import empty_places

FIXTURE = Path(__file__).parent / "fixtures" / "indicateurs" / "france_services_bretagne_reunion.csv"
SOURCE = SourceInfo("fichier", "France Services (ANCT, 2023)", "2023-07-07")
CLES = {
    "territoire", "source", "parametres", "methode_distance", "population", "nb_communes", "nb_lieux",
    "lieux_pour_10000_habitants", "communes_avec_lieu", "part_communes_avec_lieu",
    "part_population_commune_avec_lieu", "distance_moyenne_km", "distance_mediane_km", "part_population_a_moins_de",
    "zones_blanches", "zones_blanches_nb_communes", "zones_blanches_population", "zones_blanches_part_population",
    "population_zone_sans_lieu", "accessibilite_moyenne", "accessibilite_mediane", "population_sans_acces",
    "lieux", "accessibilite", "comparaison", "ou_ouvrir", "temps_route", "offre", "horaires", "qualite", "fragilite",
    "territoires_prioritaires", "moyens_humains", "avertissements",
}


@pytest.fixture(scope="module")
def lieux():
    return lieux_france_services(FIXTURE)


@pytest.fixture(scope="module")
def finistere(lieux):
    return diagnostic("dep:29", lieux, SOURCE, lieux_nationaux=lieux, source_nationale=SOURCE)


def test_keys_and_json(finistere):
    assert set(finistere) == CLES
    texte = json.dumps(finistere, allow_nan=False)  # plain types only, no NaN
    assert json.loads(texte) == finistere
    assert {k: finistere["territoire"][k] for k in ("id", "nom", "niveau")} == {
        "id": "dep:29", "nom": "Finistère", "niveau": "departement"
    }
    assert finistere["source"]["nom"] == "fichier" and finistere["source"]["date"] == "2023-07-07"
    for partie in ("offre", "horaires", "qualite", "fragilite"):
        assert isinstance(finistere[partie], dict)


def test_headline_figures_on_real_data(finistere, lieux):
    communes = reference.communes().query("dep == '29'")
    assert finistere["population"] == communes["population"].sum()
    assert finistere["nb_communes"] == len(communes)
    assert finistere["nb_lieux"] == (lieux["code_commune_2026"].str[:2] == "29").sum()
    assert finistere["lieux_pour_10000_habitants"] == pytest.approx(
        finistere["nb_lieux"] / finistere["population"] * 10_000, abs=1e-4
    )
    parts = finistere["part_population_a_moins_de"]
    assert list(parts) == ["5", "10", "15", "20"]
    assert all(0 <= v <= 1 for v in parts.values()) and list(parts.values()) == sorted(parts.values())
    assert parts["10"] == pytest.approx(1 - finistere["zones_blanches_part_population"], abs=1e-6)


def test_white_zones_list(finistere):
    zb = finistere["zones_blanches"]
    assert len(zb) == finistere["zones_blanches_nb_communes"] > 0
    assert sum(z["population"] for z in zb) == finistere["zones_blanches_population"]
    assert [z["population"] for z in zb] == sorted((z["population"] for z in zb), reverse=True)
    assert all(z["distance_km"] > 10 for z in zb) and set(zb[0]) == {"code", "nom", "population", "distance_km"}


def test_benchmarks_sites_and_warnings(finistere):
    comparaison = finistere["comparaison"]
    assert {"region", "france", "mediane_pairs", "source"} <= set(comparaison)
    assert comparaison["france"]["population"] == reference.communes()["population"].sum()
    assert comparaison["mediane_pairs"]["nb_pairs"] == 3
    sites = finistere["ou_ouvrir"]["sites"]
    assert len(sites) == 5 and sites[0]["population_nouvellement_couverte"] > 0
    assert sites[-1]["population_couverte_cumulee"] == (
        finistere["population"] - finistere["zones_blanches_population"]
        + sum(s["population_nouvellement_couverte"] for s in sites)
    )
    # the two Saint-Martin places of the input have no reference geography: said, not hidden
    assert finistere["lieux"]["hors_zone"] == 2
    assert any("hors de la métropole" in a for a in finistere["avertissements"])


def test_a_territory_without_any_place_and_a_plain_dict_source():
    resultat = diagnostic("commune:29019", empty_places(), {"nom": "fichier", "date": "2026-01-01"}, parties=())
    json.dumps(resultat, allow_nan=False)
    assert resultat["nb_lieux"] == 0 and resultat["lieux_pour_10000_habitants"] == 0.0
    assert resultat["distance_mediane_km"] is None and resultat["part_population_a_moins_de"]["20"] == 0.0
    assert resultat["zones_blanches"] == [{"code": "29019", "nom": "Brest", "population": resultat["population"],
                                           "distance_km": None}]
    assert all(resultat[p] is None for p in PARTIES)


def test_without_national_places_the_benchmarks_are_null_and_said(lieux, monkeypatch):
    def absent(_territoire):
        raise SourceIndisponible("L'instantané embarqué est introuvable : lancez `make data`.")

    monkeypatch.setattr(places, "lieux_embarques", absent)
    resultat = diagnostic("epci:242900314", lieux, SOURCE, parties=("comparaison",))
    assert resultat["comparaison"] is None
    assert any("Comparaisons indisponibles" in a for a in resultat["avertissements"])


def test_france_with_supply_weighted_by_opening_hours(lieux):
    resultat = diagnostic(territories.get("france"), lieux, SOURCE, parties=(), poids="horaires")
    json.dumps(resultat, allow_nan=False)
    assert resultat["population"] == reference.communes()["population"].sum()
    assert resultat["comparaison"] is None
    assert resultat["parametres"]["poids_offre"] == "heures d'ouverture hebdomadaires"
    # E2SFCA conserves supply: population-weighted mean score = weekly hours on the map per 10,000 inhabitants
    heures = horaires.heures_hebdomadaires(lieux)
    heures = heures.fillna(heures.median())
    sur_la_carte = lieux["code_insee"].str[:3] != "978"  # Saint-Martin has no reference geography
    attendu = heures[sur_la_carte].sum() / resultat["population"] * 10_000
    assert resultat["accessibilite_moyenne"] == pytest.approx(attendu, abs=1e-4)


class _OSRM(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        q = parse_qs(urlsplit(self.path).query)
        n, m = len(q["sources"][0].split(";")), len(q["destinations"][0].split(";"))
        corps = json.dumps({"code": "Ok", "durations": [[600.0 + 60 * j for j in range(m)] for _ in range(n)]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(corps)))
        self.end_headers()
        self.wfile.write(corps)

    def log_message(self, *args):
        pass


def test_road_times_with_an_osrm_server(lieux):
    serveur = ThreadingHTTPServer(("127.0.0.1", 0), _OSRM)
    threading.Thread(target=serveur.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{serveur.server_address[1]}"
        resultat = diagnostic("epci:242900314", lieux, SOURCE, parties=(), osrm_url=url)
    finally:
        serveur.shutdown()
        serveur.server_close()
    route = resultat["temps_route"]
    assert route["temps_median_min"] == 10.0  # the fake server's fastest candidate: 600 s
    assert route["part_population_a_moins_de_min"] == {"10": 1.0, "20": 1.0, "30": 1.0}
    assert "OSRM" in route["methode"] and route["communes_sans_temps"] == 0
    # an unreachable server leaves straight lines and says so
    resultat = diagnostic("epci:242900314", lieux, SOURCE, parties=(), osrm_url="http://127.0.0.1:9")
    assert resultat["temps_route"] is None and any("OSRM" in a for a in resultat["avertissements"])


def test_table_of_child_units(lieux):
    table = table_unites("dep:29", lieux)
    communes = reference.communes().query("dep == '29'")
    assert len(table) == len(communes) and table["niveau"].eq("commune").all()
    assert table["population"].sum() == communes["population"].sum()
    assert {"id", "code", "nom", "part_population_a_moins_de_5_km", "accessibilite_moyenne"} <= set(table.columns)
    regions = table_unites(territories.get("reg:53"), lieux)
    assert regions["id"].tolist() == ["dep:22", "dep:29", "dep:35", "dep:56"]
    epci = table_unites("dep:29", lieux, "epci")
    assert epci["population"].sum() == sum(territories.get(i).population for i in epci["id"])
    seule = table_unites("commune:29019", lieux)
    assert seule["id"].tolist() == ["commune:29019"]
    assert pd.api.types.is_integer_dtype(table["nb_lieux"])
