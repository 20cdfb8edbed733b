"""The territory map: one GeoJSON layer of places, escaping, choropleth and legend, offline by default."""
from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from diagnostics import reference
from diagnostics.standard.fields import to_places_frame
from diagnostics.views import carte_territoire, classer_indicateur, urls_externes
from diagnostics.views.carte import dessiner_carte, preparer_carte

MALVEILLANT = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def communes():
    """The 8 communes of Brest métropole (EPCI 242900314)."""
    toutes = reference.communes()
    return toutes[toutes["epci"] == "242900314"].copy()


@pytest.fixture(scope="module")
def lieux():
    lignes = [
        dict(id="1", nom="Maison France services", latitude=48.39, longitude=-4.49, dispositif_programmes_nationaux="France Services"),
        dict(id="2", nom="Médiathèque", latitude=48.40, longitude=-4.48, dispositif_programmes_nationaux="Conseillers numériques|France Services"),
        dict(id="3", nom="Espace numérique", latitude=48.41, longitude=-4.47, dispositif_programmes_nationaux="Conseillers numériques"),
        dict(id="4", nom="CCAS", latitude=48.42, longitude=-4.46, dispositif_programmes_nationaux="Aidants Connect"),
        dict(
            id="5",
            nom=MALVEILLANT,
            adresse="1 rue <b>du</b> Port",
            code_postal="29200",
            commune="Brest",
            latitude=48.383333,
            longitude=-4.4999999,
            horaires="Mo-Fr 09:00-12:00; Sa 10:00-12:00",
            services="Aide aux démarches administratives|Service inventé <script>",
            telephone="+33298000000",
            courriels="contact@exemple.fr",
            site_web='javascript:alert(1)|https://exemple.fr/?a=1&b="x"|www.sans-schema.fr',
            date_maj="2024-05-02",
            source="Hub <Bretagne>",
        ),
        dict(id="6", nom="Lieu sans position", latitude=None, longitude=None),
    ]
    return to_places_frame(pd.DataFrame(lignes))


def _couches(page: str) -> list[list[dict]]:
    """The features of every polygon layer of a rendered map, in drawing order."""
    decodeur = json.JSONDecoder()
    return [decodeur.raw_decode(page, m.end())[0]["features"] for m in re.finditer(r"L\.geoJson\((?=\{)", page)]


def _lieux_dessines(page: str) -> list[list[dict]]:
    """The places of every places layer, as the browser turns them into GeoJSON properties."""
    decodeur = json.JSONDecoder()
    couches = []
    for m in re.finditer(r"var V = ", page):
        vocabulaire, fin = decodeur.raw_decode(page, m.end())
        champs = decodeur.raw_decode(page, page.index("CHAMPS = ", fin) + 9)[0]
        lignes = decodeur.raw_decode(page, page.index("LIGNES = ", fin) + 9)[0]
        couches.append(
            [{"coordonnees": ligne[:2], "vocabulaire": vocabulaire, **dict(zip(champs, ligne[2:]))} for ligne in lignes]
        )
    return couches


def test_places_are_one_geojson_layer_of_circle_markers(lieux, communes):
    page = carte_territoire(lieux, communes, communes, assets_base="/vendor").get_root().render()
    [places] = _lieux_dessines(page)
    assert len(places) == int(lieux.geometry.notna().sum()) == 5
    assert page.count("L.geoJson(versGeoJson(LIGNES)") == 1
    assert page.count("L.circleMarker(") == 1 and "L.marker(" not in page
    # France Services wins over Conseillers numériques; no dispositif → "autre" (3).
    assert [p["k"] for p in places] == [0, 0, 1, 2, 3]
    assert places[4]["coordonnees"] == [-4.5, 48.38333]
    assert "1 lieu sans position ne figure pas sur la carte." in page
    assert "France Services (2)" in page and "Autre lieu (1)" in page


def test_every_string_is_escaped_and_only_http_links_are_links(lieux, communes):
    page = carte_territoire(lieux, communes, communes, assets_base="/vendor").get_root().render()
    assert MALVEILLANT not in page and "<b>du</b>" not in page and "<Bretagne>" not in page
    lieu = _lieux_dessines(page)[0][4]
    V = lieu["vocabulaire"]
    assert lieu["n"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert lieu["a"] == "1 rue &lt;b&gt;du&lt;/b&gt; Port"
    assert V[lieu["h"]] == "Mo-Fr 09:00-12:00<br>Sa 10:00-12:00"
    assert V[lieu["c"]] == "29200 Brest"
    assert lieu["w"] == ["https://exemple.fr/?a=1&amp;b=&quot;x&quot;"]
    assert lieu["x"] == ["javascript:alert(1)", "www.sans-schema.fr"]
    assert [V[i] for i in lieu["s"]] == ["Aide aux démarches administratives", "Service inventé &lt;script&gt;"]
    assert V[lieu["o"]] == "Hub &lt;Bretagne&gt;"


def test_template_syntax_in_the_data_stays_text(lieux, communes):
    # folium passes its output through Jinja a second time: data must not be evaluated there.
    piege = lieux.iloc[:1].copy()
    piege["nom"] = "{{ 7 * 7 }} {% raw %} {# x #}"
    page = carte_territoire(piege, communes, assets_base="/vendor").get_root().render()
    assert _lieux_dessines(page)[0][0]["n"] == "{{ 7 * 7 }} {% raw %} {# x #}"


def test_offline_map_loads_nothing_from_outside(lieux, communes):
    page = carte_territoire(lieux, communes, communes, fond="aucun", assets_base="/vendor").get_root().render()
    assert urls_externes(page) == []
    assert "L.tileLayer" not in page
    assert '"maxZoom": 18' in page


def test_osm_background_adds_the_tile_layer_with_attribution(lieux, communes):
    page = carte_territoire(lieux, communes, fond="osm", assets_base="/vendor").get_root().render()
    assert urls_externes(page) == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    assert "OpenStreetMap\\u003c/a\\u003e contributors" in page


def test_choropleth_of_the_fragility_index_with_its_legend(lieux, communes):
    communes = communes.sort_values("code").copy()
    scores = [0, 1.5, 5, 10, np.nan, 7.2, 3, 9.99]
    communes["fragilite"] = scores[: len(communes)]
    m = carte_territoire(lieux, communes, indicateur="fragilite", libelle_indicateur="Fragilité <numérique>", classes="ifn", assets_base="/vendor")
    page = m.get_root().render()
    [polygones] = _couches(page)
    assert len(polygones) == len(communes)
    # class = ceil(score × 7 / 10), 1..7 → 0..6; a missing score has class -1.
    attendu = [0, 1, 3, 6, -1, 5, 2, 6][: len(communes)]
    assert [f["properties"]["k"] for f in polygones] == attendu
    assert polygones[1]["properties"]["v"] == "1,5"
    assert "Fragilité &lt;numérique&gt;" in page and "Fragilité <numérique>" not in page
    assert "0 – 1,4 (risque faible)" in page and "8,6 – 10 (risque fort)" in page
    assert "Non renseigné (1)" in page
    assert '"#4A6BAE"' in page and '"#BF4046"' in page


def test_quantile_classes_by_hand():
    classement = classer_indicateur(pd.Series(range(1, 11)))
    assert classement.codes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert classement.libelles[0] == "1 – 2,8" and classement.libelles[-1] == "8,2 – 10"
    constante = classer_indicateur(pd.Series([12345.0, 12345.0, None]))
    assert constante.codes.tolist() == [0, 0, -1] and constante.libelles == ("12\u202f345",)
    texte = classer_indicateur(pd.Series(["non calculé", "", None]))
    assert texte.codes.tolist() == [-1, -1, -1] and texte.libelles == ()
    with pytest.raises(ValueError, match="Schéma de classes inconnu"):
        classer_indicateur(pd.Series([1.0]), "jenks")


def test_white_zones_and_outline_and_neighbours(lieux, communes):
    code_brest = "29019"
    voisins = lieux.iloc[:2].copy()
    m = carte_territoire(lieux.iloc[2:], communes, communes, zones_blanches=[code_brest, "99999"], lieux_voisins=voisins, assets_base="/vendor")
    page = m.get_root().render()
    couches = _couches(page)
    # Drawing order: communes, white zones, outline, then neighbours and places.
    assert [len(c) for c in couches] == [len(communes), 1, 1]
    assert [len(c) for c in _lieux_dessines(page)] == [2, 3]
    genres = ["points" if page.startswith("versGeoJson", m.end()) else "polygones" for m in re.finditer(r"L\.geoJson\(", page)]
    assert genres == ["polygones"] * 3 + ["points"] * 2
    assert "Communes en zone blanche (1)" in page and "1 code de commune absent du fond de carte." in page
    zone = shapely.geometry.shape(couches[1][0]["geometry"])
    brest = communes.set_index("code").geometry[code_brest]
    assert zone.symmetric_difference(brest).area < 0.01 * brest.area
    assert "opacity: 0.35" in page and "Lieux des territoires voisins (2)" in page
    # The four layers above the choropleth are brought back in front, places last (on top).
    devant = re.search(r"var devant = \[([^\]]*)\]", page).group(1).split(", ")
    assert len(devant) == 4 and page.index(f"var {devant[-1]} = ") > page.index("versGeoJson(LIGNES)") - 400
    assert "bringToFront()" in page and "$(document)" not in page


def test_dashboard_map_loads_only_leaflet_and_fullscreen(lieux, communes):
    page = carte_territoire(lieux, communes, communes, assets_base="/vendor").get_root().render()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/vendor/leaflet/leaflet.js", "/vendor/leaflet.fullscreen/Control.FullScreen.js"]
    assert "bootstrap" not in page and "jquery" not in page
    # A map given with an icon marker keeps what folium's icons need.
    m = folium.Map(tiles=None)
    folium.Marker([48.4, -4.5], icon=folium.Icon(color="red")).add_to(m)
    page = carte_territoire(lieux, communes, m=m, assets_base="/vendor").get_root().render()
    assert "/vendor/jquery/jquery.min.js" in page and "/vendor/leaflet.awesome-markers/leaflet.awesome-markers.js" in page


def test_a_prepared_map_draws_the_same_page_twice(lieux, communes):
    # The dashboard caches the prepared layers and draws a new folium map at each run.
    preparee = preparer_carte(lieux, communes, communes, zones_blanches=["29019"])
    pages = [dessiner_carte(preparee, assets_base="/vendor").get_root().render() for _ in range(2)]
    assert [_couches(p) for p in pages] == [_couches(pages[0])] * 2
    assert _lieux_dessines(pages[1]) == _lieux_dessines(pages[0]) and len(_lieux_dessines(pages[0])[0]) > 0
    assert pages[0] != pages[1]  # each map has its own element ids


def test_national_view_is_simplified_and_coordinates_rounded():
    departements = reference.departements()
    metropole = departements[~departements["code"].str.startswith("97")]
    m = carte_territoire(None, metropole, assets_base="/vendor")
    page = m.get_root().render()
    couche = _couches(page)[0]
    avant = int(shapely.get_num_coordinates(metropole.geometry.to_numpy()).sum())
    apres = sum(int(shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"]))) for f in couche)
    assert len(couche) == len(metropole) and apres < 0.8 * avant
    decimales = re.findall(r"-?\d+\.(\d+)", json.dumps([f["geometry"] for f in couche]))
    assert max(len(d) for d in decimales) <= 5
    assert "Aucun lieu avec une position sur ce territoire." in page
    # Départements at national scale stay well under a megabyte of HTML.
    assert len(page.encode("utf-8")) < 1_000_000


def test_draws_on_a_given_map_without_duplicating_controls(lieux, communes):
    m = folium.Map(tiles=None)
    assert carte_territoire(lieux, communes, m=m, assets_base="/vendor") is m
    carte_territoire(lieux.iloc[:1], communes, m=m, assets_base="/vendor")
    page = m.get_root().render()
    assert page.count("L.control.layers(") == 1 and page.count("L.control.fullscreen(") == 1
    assert '"preferCanvas": true' in page


def test_bad_options_raise_a_french_error(lieux, communes):
    with pytest.raises(ValueError, match="Fond de carte inconnu"):
        carte_territoire(lieux, communes, fond="satellite")
    with pytest.raises(ValueError, match="La colonne « absente » est absente du fond de carte"):
        carte_territoire(lieux, communes, indicateur="absente")


def test_odd_frames_do_not_crash_and_lose_nothing_visible(communes):
    # Not a canonical frame: few columns, object dtype with a number and None, Lambert-93, a polygon.
    brest = shapely.Point(-4.4861, 48.3904)
    bizarre = gpd.GeoDataFrame(
        {"nom": [None, "Lieu 2", "Lieu 3", "Lieu 4"], "code_postal": [29200, None, "29200", "29200"], "commune": ["Brest"] * 4},
        geometry=[brest, shapely.Point(), brest.buffer(0.01), None],
        crs="EPSG:4326",
    ).to_crs(2154)
    page = carte_territoire(bizarre, communes, assets_base="/vendor").get_root().render()
    [places] = _lieux_dessines(page)
    assert len(places) == 1 and places[0]["n"] == "(sans nom)"
    assert places[0]["coordonnees"] == [-4.4861, 48.3904]
    assert places[0]["vocabulaire"][places[0]["c"]] == "29200 Brest"
    assert "3 lieux sans position ne figurent pas sur la carte." in page
