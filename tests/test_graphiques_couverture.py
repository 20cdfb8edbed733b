"""Coverage views: the tables behind the charts (checked by hand and against the diagnostic on real
data), the plotly figures built from hand-made frames, the map of suggested sites, the exports."""
from __future__ import annotations

import io
import math
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from diagnostics import territories
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators import fragilite
from diagnostics.indicators.par_commune import table_communes
from diagnostics.places import charger_lieux, dans_territoire
from diagnostics.views import assets
from diagnostics.views import fichiers
from diagnostics.views import graphiques_couverture as gc

FINE = "\u202f"
RURAL = "epci:200067247"  # CC Pleyben-Châteaulin-Porzay: white zones at 10 km in the snapshot


@pytest.fixture(scope="module")
def finistere():
    t = territories.resolve("dep:29")
    lieux = charger_lieux(t)
    return t, lieux, diagnostic(t, lieux.lieux, lieux.source, rayon_km=10), table_communes(t, lieux.lieux, rayon_km=10)


@pytest.fixture(scope="module")
def rural():
    t = territories.resolve(RURAL)
    lieux = charger_lieux(t)
    d = diagnostic(t, lieux.lieux, lieux.source, rayon_km=10, parties=())
    return t, lieux, d, table_communes(t, lieux.lieux, rayon_km=10)


# --- tables -------------------------------------------------------------------------------------


def test_courbe_couverture_by_hand():
    courbe = gc.courbe_couverture([1.0, 5.0, math.inf, math.nan], [100, 300, 500, 100], max_km=10, pas_km=0.5)
    assert len(courbe) == 21 and courbe["distance_km"].iloc[-1] == 10
    part = dict(zip(courbe["distance_km"], courbe["part_population"]))
    assert part[0.0] == 0 and part[1.0] == pytest.approx(0.1) and part[4.5] == pytest.approx(0.1)
    assert part[5.0] == pytest.approx(0.4) and part[10.0] == pytest.approx(0.4)  # inf and NaN never covered
    assert courbe["part_population"].is_monotonic_increasing


def test_courbe_couverture_without_population_is_undefined():
    assert gc.courbe_couverture([1.0], [0], max_km=2)["part_population"].isna().all()


def test_courbes_match_the_diagnostic_on_real_data(finistere):
    t, _, d, table = finistere
    courbe = gc.courbe_couverture(table["distance_km"], table["population"])
    for seuil, part in d["part_population_a_moins_de"].items():
        assert courbe.loc[courbe["distance_km"] == float(seuil), "part_population"].item() == pytest.approx(part, abs=1e-6)
    references, source = gc.courbes_nationales(t)
    assert list(references) == ["Bretagne (région)", "France"]
    assert source.nom == "embarque"
    for niveau, libelle in (("region", "Bretagne (région)"), ("france", "France")):
        courbe = references[libelle]
        attendu = d["comparaison"][niveau]["part_population_a_moins_de"]["10"]
        assert courbe.loc[courbe["distance_km"] == 10, "part_population"].item() == pytest.approx(attendu, abs=1e-6)


def test_france_has_no_reference_curve():
    assert gc.courbes_nationales(territories.get("france")) == ({}, None)


def test_repartition_distances_by_hand():
    r = gc.repartition_distances([0.5, 3.0, 7.5, 12.0, math.inf], [10, 20, 30, 40, 50], 7.5, bornes_km=(2, 5, 10))
    assert r["classe"].tolist() == [
        f"2{FINE}km ou moins", f"2 à 5{FINE}km", f"5 à 7,5{FINE}km", f"7,5 à 10{FINE}km", f"plus de 10{FINE}km",
        "aucun lieu dans la zone",
    ]
    assert r["population"].tolist() == [10, 20, 30, 0, 40, 50]
    assert r["nb_communes"].tolist() == [1, 1, 1, 0, 1, 1]
    assert r["zone_blanche"].tolist() == [False, False, False, True, True, True]
    assert r["part_population"].sum() == pytest.approx(1)


def test_repartition_adds_up_on_real_data(finistere):
    _, _, d, table = finistere
    r = gc.repartition_distances(table["distance_km"], table["population"], 10)
    assert r["population"].sum() == d["population"]
    assert r.loc[r["zone_blanche"], "population"].sum() == d["zones_blanches_population"]
    assert r.loc[r["zone_blanche"], "nb_communes"].sum() == d["zones_blanches_nb_communes"]


def test_seuil_depuis_url():
    assert gc.seuil_depuis_url("15") == 15
    assert gc.seuil_depuis_url("7,6") == 8
    assert gc.seuil_depuis_url("99") == gc.SEUIL_MAX_KM and gc.seuil_depuis_url("0") == gc.SEUIL_MIN_KM
    for mauvais in (None, "", "abc", "nan", "inf"):
        assert gc.seuil_depuis_url(mauvais) == 10


def test_sites_cover_the_white_zones_and_add_up(rural):
    t, _, d, table = rural
    assert d["zones_blanches_population"] > 0
    sites = gc.ou_ouvrir_territoire(t, table, 10, 10)
    assert len(sites) >= 1 and (sites["population_nouvellement_couverte"] > 0).all()
    assert set(sites["code"]) <= set(t.codes_communes)
    deja_couverte = d["population"] - d["zones_blanches_population"]
    assert sites["population_couverte_cumulee"].iloc[-1] == deja_couverte + sites["population_nouvellement_couverte"].sum()
    assert sites["population_nouvellement_couverte"].sum() <= d["zones_blanches_population"]
    assert sites["communes_nouvellement_couvertes"].sum() <= d["zones_blanches_nb_communes"]
    positions = gc.sites_positions(sites)
    reference = territories.communes_frame(t).set_index("code")
    assert positions["lon"].tolist() == pytest.approx(reference.loc[sites["code"], "pos_lon"].tolist())


def test_table_pairs_lists_every_peer_and_the_territory():
    t = territories.resolve("dep:29")
    parent, niveau = gc.parent_comparaison(t)
    assert (parent.id, niveau) == ("reg:53", "departement")
    lieux = charger_lieux(parent).lieux
    table = gc.table_pairs(t, lieux)
    assert set(table["id"]) == {p.id for p in territories.peers(t)}
    assert table.loc[table["est_territoire"], "id"].tolist() == ["dep:29"]
    # Places are counted by commune code: the peers' median is exactly the diagnostic's.
    d = diagnostic(t, charger_lieux(t).lieux, {"nom": "embarque"}, parties=("comparaison",))
    assert gc.mediane_pairs(table, "nb_lieux") == d["comparaison"]["mediane_pairs"]["nb_lieux"]


def test_france_is_compared_with_its_regions():
    france = territories.get("france")
    parent, niveau = gc.parent_comparaison(france)
    assert parent is france and niveau == "region"
    commune = territories.resolve("commune:29019")
    assert gc.parent_comparaison(commune) == (territories.get("epci:242900314"), "commune")


def test_mediane_pairs_leaves_out_the_territory_and_missing_values():
    table = pd.DataFrame({"v": [1.0, 2.0, 3.0, 10.0, np.nan, np.inf], "est_territoire": [False, False, False, True, False, False]})
    assert gc.mediane_pairs(table, "v") == 2.0
    assert math.isnan(gc.mediane_pairs(table.iloc[3:4], "v"))


def test_table_reperes_reads_nested_shares():
    figures = {"nb_lieux": 5, "part_population_a_moins_de": {"10": 0.9}}
    diag = {
        "territoire": {"libelle": "Pleyben (EPCI)"},
        **figures,
        "comparaison": {
            "departement": {"nom": "Finistère", "nb_lieux": 196, "part_population_a_moins_de": {"10": 0.96}},
            "france": {"nom": "France", "nb_lieux": 11593, "part_population_a_moins_de": {"10": 0.98}},
            "mediane_pairs": {"nb_pairs": 20, "nb_lieux": 3, "part_population_a_moins_de": {"10": 0.97}},
        },
    }
    r = gc.table_reperes(diag, ["nb_lieux", "part_population_a_moins_de_10_km"])
    assert r["repere"].tolist() == [
        "Ce territoire : Pleyben (EPCI)", "Finistère (département)", "France", "Médiane des 20 territoires comparables",
    ]
    assert r["nb_lieux"].tolist() == [5, 196, 11593, 3]
    assert r["part_population_a_moins_de_10_km"].tolist() == [0.9, 0.96, 0.98, 0.97]


def test_indicateurs_pairs_are_columns_of_the_peers_table():
    table = gc.table_pairs(territories.resolve("commune:29019"), charger_lieux(territories.get("epci:242900314")).lieux)
    indicateurs = gc.indicateurs_pairs(7.5)
    assert set(indicateurs) <= set(table.columns)
    assert all(genre in gc.GENRES for _, genre in indicateurs.values())
    assert f"plus de 7,5{FINE}km" in indicateurs["zones_blanches_nb_communes"][0]


# --- formatting and files --------------------------------------------------------------------------


def test_formater():
    assert gc.formater(12345, "entier") == f"12{FINE}345"
    assert gc.formater(0.4236, "part") == f"42,4{FINE}%"
    assert gc.formater(math.inf, "km") == "aucun lieu"
    assert gc.formater(3.25, "km") == f"3,2{FINE}km" or gc.formater(3.25, "km") == f"3,3{FINE}km"
    assert gc.formater(pd.NA, "entier") == "—" and gc.formater(np.nan, "part") == "—"
    assert gc.formater(np.True_, "booleen") == "oui"
    assert gc.formater(0.41234, "score") == "0,412"
    with pytest.raises(ValueError, match="Genre de valeur inconnu"):
        gc.formater(1, "monnaie")


def test_tableau_export_says_what_the_screen_says():
    frame = pd.DataFrame({"nom": ["A", "B"], "distance_km": [1.5, math.inf], "zone_blanche": [False, True], "x": [1, 2]})
    out = gc.tableau_export(frame, {"nom": "Commune", "distance_km": "Distance (km)", "zone_blanche": "Zone blanche"})
    assert out.columns.tolist() == ["Commune", "Distance (km)", "Zone blanche"]
    assert out["Distance (km)"].tolist() == [1.5, "aucun lieu"]
    assert out["Zone blanche"].tolist() == ["non", "oui"]


def test_xlsx_keeps_formulas_as_text():
    frame = pd.DataFrame({"nom": ['=HYPERLINK("http://x","y")', "Brest"], "n": [3, 4], "part": [0.5, np.nan]})
    classeur = openpyxl.load_workbook(io.BytesIO(fichiers.xlsx_tableau(frame, "essai")))
    onglet = classeur["essai"]
    assert [c.value for c in onglet[1]] == ["nom", "n", "part"]
    cellule = onglet["A2"]
    assert cellule.data_type == "s" and cellule.value == '=HYPERLINK("http://x","y")'
    assert onglet["B3"].value == 4 and onglet["C2"].value == 0.5 and onglet["C3"].value is None


def test_csv_octets_neutralises_formulas():
    texte = fichiers.csv_tableau(pd.DataFrame({"nom": ["=1+1"], "v": [1.5]})).decode("utf-8")
    assert texte.startswith("\ufeff") and "'=1+1;1,5" in texte


def test_nom_fichier_is_safe():
    nom = fichiers.nom_fichier("priorités", "Île-de-Sein / <script>", "10km", extension="CSV")
    assert nom == "priorites_Ile-de-Sein-script_10km.csv"
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[a-z]+", fichiers.nom_fichier("../..", "«»", extension="xlsx"))


# --- figures --------------------------------------------------------------------------------------


def _courbe(part):
    return pd.DataFrame({"distance_km": [0.0, 10.0, 30.0], "part_population": part})


def test_figure_courbes():
    fig = gc.figure_courbes(_courbe([0, 0.5, 1]), "Pleyben <b>", {"Finistère (29)": _courbe([0, 0.6, 1]), "France": _courbe([0, 0.7, 1])}, 12)
    noms = [trace.name for trace in fig.data]
    assert noms == ["Finistère (29)", "France", "Pleyben &lt;b&gt;"]
    assert fig.data[-1].line.width == 4 and fig.data[-1].line.color == gc.PRIMAIRE
    assert fig.layout.shapes[0].x0 == 12
    assert fig.layout.separators == gc.SEPARATEURS and fig.layout.yaxis.tickformat == ".0%"


def test_figure_distances_colours_the_white_zones():
    r = gc.repartition_distances([1.0, 12.0], [100, 50], 10, bornes_km=(5, 20))
    fig = gc.figure_distances(r, 10)
    barres = fig.data[0]
    assert list(barres.x) == r["classe"].tolist() and list(barres.y) == r["population"].tolist()
    assert list(barres.marker.color) == [gc.ROUGE if z else gc.PRIMAIRE for z in r["zone_blanche"]]
    assert "10" in fig.layout.title.subtitle.text


def test_figure_zones_blanches_keeps_the_most_populated():
    zones = [{"code": f"{i:05d}", "nom": f"Commune {i}", "population": i * 10, "distance_km": 11.0} for i in range(1, 26)]
    zones[0]["nom"] = "<img src=x>"
    fig = gc.figure_zones_blanches(zones, 10, max_communes=20)
    assert len(fig.data[0].y) == 20
    assert fig.data[0].y[0] == "Commune 25 (00025)" and list(fig.data[0].x)[:2] == [250, 240]
    assert "20 plus peuplées sur 25" in fig.layout.title.text
    assert not any("<img" in y for y in gc.figure_zones_blanches(zones[:1], 10).data[0].y)


def test_figure_priorites():
    table = pd.DataFrame(
        {
            "code": ["1", "2", "3"], "nom": ["A", "B", "C"], "rang_priorite": pd.array([2, 1, pd.NA], dtype="Int64"),
            "score_priorite": [0.4, 0.6, np.nan], "classe_ifn": pd.array([3, 7, pd.NA], dtype="Int64"),
            "motif_priorite": ["m <a>", "n", ""],
        }
    )
    fig = gc.figure_priorites(table, n=15)
    barres = fig.data[0]
    assert list(barres.y) == ["B (2)", "A (1)"] and list(barres.x) == [0.6, 0.4]
    assert list(barres.marker.color) == [fragilite.couleur_classe(7), fragilite.couleur_classe(3)]
    assert list(barres.customdata) == ["n", "m &lt;a&gt;"]


def test_figure_sites():
    sites = pd.DataFrame(
        {"rang": [1, 2], "code": ["29001", "29002"], "nom": ["A", "B"], "population_nouvellement_couverte": [900, 100],
         "communes_nouvellement_couvertes": [3, 1], "population_couverte_cumulee": [9900, 10000],
         "part_population_couverte": [0.99, 1.0]}
    )
    fig = gc.figure_sites(sites)
    assert list(fig.data[0].x) == ["1. A", "2. B"] and list(fig.data[0].y) == [900, 100]
    assert list(fig.data[1].y) == [0.99, 1.0] and fig.data[1].yaxis == "y2"


def _pairs(n: int, territoire: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"code": [f"{i:02d}" for i in range(n)], "nom": [f"T{i}" for i in range(n)], "v": [float(i) for i in range(n)],
         "est_territoire": [i == territoire for i in range(n)]}
    )


def test_figure_pairs_highlights_the_territory_and_draws_the_median():
    fig = gc.figure_pairs(_pairs(4, 3), "v", "Lieux pour 10 000 habitants", "decimal")
    barres = fig.data[0]
    assert barres.orientation == "h" and list(barres.y) == ["T3 (03)", "T2 (02)", "T1 (01)", "T0 (00)"]
    assert list(barres.marker.color) == [gc.PRIMAIRE, gc.GRIS, gc.GRIS, gc.GRIS]
    assert fig.layout.shapes[0].x0 == 1.0  # median of 0, 1, 2: the territory is not its own peer
    assert list(barres.text) == ["3,0", "2,0", "1,0", "0,0"]


def test_figure_pairs_with_many_peers_is_a_profile():
    fig = gc.figure_pairs(_pairs(gc.MAX_BARRES_NOMMEES + 10, 5), "v", "Indicateur", "entier")
    barres = fig.data[0]
    assert barres.orientation == "v" and fig.layout.xaxis.showticklabels is False
    assert fig.layout.shapes[0].y0 == gc.mediane_pairs(_pairs(gc.MAX_BARRES_NOMMEES + 10, 5), "v")
    assert [a.text for a in fig.layout.annotations if a.showarrow] == ["T5 (05)"]


# --- map -------------------------------------------------------------------------------------------


def test_carte_sites_on_real_data(rural):
    t, lieux, d, table = rural
    sites = gc.ou_ouvrir_territoire(t, table, 3, 10)
    assert len(sites) >= 2
    sites.loc[0, "nom"] = "<img src=x onerror=alert(1)>"
    sites.loc[1, "nom"] = "`${alert(2)}`"
    dedans = dans_territoire(lieux.lieux, t)
    codes = [z["code"] for z in d["zones_blanches"]]
    page = gc.carte_sites(
        t, sites, codes, 10, lieux=lieux.lieux[dedans], lieux_voisins=lieux.lieux[~dedans], assets_base="/vendor"
    ).get_root().render()
    assert '"Sites propos\\u00e9s"' in page and '"Zones blanches"' in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "${alert(2)}" not in page and "&#96;&#36;{alert(2)}&#96;" in page
    assert page.count('"radius": 10000.0') == len(sites) and page.count('"interactive": false') >= len(sites)
    assert assets.urls_externes(page) == []
    # The layer control names the sites' layer: it must be declared before the control's script.
    couche = re.search(r'"Sites propos\\u00e9s" : (feature_group_\w+)', page).group(1)
    assert page.index(f"var {couche} =") < page.index(f'"Sites propos\\u00e9s" : {couche}')
    assert page.count('"pane": "sites_proposes"') == len(sites)


def test_carte_sites_of_france_opens_on_the_sites_zone():
    sites = pd.DataFrame(
        {"rang": [1, 2], "code": ["29019", "35238"], "nom": ["Brest", "Rennes"], "population_nouvellement_couverte": [5, 3],
         "communes_nouvellement_couvertes": [1, 1], "population_couverte_cumulee": [5, 8], "part_population_couverte": [0.5, 0.8]}
    )
    # One white zone in Guyane, one in the Finistère: only the mainland one shares the sites' zone.
    page = gc.carte_sites(territories.get("france"), sites, ["97357", "29083"], 10, assets_base="/vendor").get_root().render()
    cadrages = re.findall(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    assert len(cadrages) == 1
    sud, ouest, nord, est = map(float, cadrages[0])
    assert 47.5 < sud < 48.2 and -5.2 < ouest < -4.4 and 48.1 < nord < 48.7 and -1.8 < est < -1.4
    assert "Communes en zone blanche (1)" in page
