"""The "Zones blanches et priorités" and "Comparer" pages run headless (AppTest) at every territory
level; their figures agree with the library computed independently."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pages_apptest import ouvrir, sans_erreur
from streamlit.testing.v1 import AppTest

from diagnostics import territories
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators.par_commune import table_communes
from diagnostics.places import charger_lieux
from diagnostics.views import graphiques_couverture as gc
from diagnostics.views.format import nombre

RACINE = Path(__file__).resolve().parents[1]
APP = str(RACINE / "app.py")
ZONES = "pages/zones_blanches.py"
COMPARER = "pages/comparer.py"
RURAL = "epci:200067247"  # CC Pleyben-Châteaulin-Porzay: white zones at 10 km in the snapshot


_page, _ok = ouvrir, sans_erreur


def _metrique(at: AppTest, debut: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(debut))


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def _zones(t, rayon: int) -> dict:
    lieux = charger_lieux(t)
    return diagnostic(t, lieux.lieux, lieux.source, rayon_km=rayon, parties=())


def test_threshold_slider_moves_the_white_zones_like_the_diagnostic():
    t = territories.resolve("dep:29")
    at = _page(t.id, ZONES)
    _ok(at)
    for rayon in (10, 5):
        if rayon != 10:
            at.slider(key="seuil_km_zones").set_value(rayon).run()
            _ok(at)
        attendu = _zones(t, rayon)
        assert _metrique(at, "Communes en zone blanche") == (
            f"{nombre(attendu['zones_blanches_nb_communes'])} sur {nombre(attendu['nb_communes'])}"
        )
        assert _metrique(at, "Habitants en zone blanche").startswith(nombre(attendu["zones_blanches_population"]))
        assert at.query_params["rayon"] in (str(rayon), [str(rayon)])
    titres = [f["layout"]["title"]["text"] for f in _figures(at)]
    assert any(titre.startswith("Part de la population à moins de") for titre in titres)
    assert any("Communes en zone blanche" in titre for titre in titres)
    assert any("à prioriser" in titre for titre in titres)
    carte = at.get("component_instance")
    assert carte and "Sites propos" in carte[0].proto.json_args.encode().decode("unicode_escape")
    assert len(at.get("download_button")) >= 3
    assert any("Instantané embarqué" in c.value for c in at.caption), "every figure shows its source"


def test_simulator_covers_new_inhabitants_and_adds_up():
    t = territories.resolve(RURAL)
    lieux = charger_lieux(t)
    table = table_communes(t, lieux.lieux, rayon_km=10)
    attendu = _zones(t, 10)
    at = _page(t.id, ZONES)
    _ok(at)
    for n in (5, 1):
        if n != 5:
            at.slider(key="nb_sites").set_value(n).run()
            _ok(at)
        sites = gc.ou_ouvrir_territoire(t, table, n, 10)
        nouveaux = int(sites["population_nouvellement_couverte"].sum())
        assert nouveaux > 0
        assert _metrique(at, "Habitants nouvellement couverts") == nombre(nouveaux)
        restantes = attendu["zones_blanches_nb_communes"] - int(sites["communes_nouvellement_couvertes"].sum())
        assert _metrique(at, "Communes en zone blanche restantes") == nombre(restantes)
        apres = (attendu["population"] - attendu["zones_blanches_population"] + nouveaux) / attendu["population"]
        assert _metrique(at, "Population à moins de 10 km après").replace("\u202f", " ") == f"{apres * 100:.1f} %".replace(".", ",")
        carte = at.get("component_instance")[0].proto.json_args
        assert carte.count('\\"radius\\": 10000.0') == len(sites), "one 10 km circle per proposed site"
    figure = next(f for f in _figures(at) if f["layout"]["title"]["text"].startswith("Ce qu'apporterait"))
    assert figure["data"][0]["y"] == sites["population_nouvellement_couverte"].tolist()


def test_comparer_lists_the_peers_and_the_territory():
    t = territories.resolve("epci:242900314")
    at = _page(t.id, COMPARER)
    _ok(at)
    pairs = territories.peers(t)
    tableau = at.dataframe[0].value
    assert sorted(tableau["code"]) == sorted(p.code for p in pairs) and "Brest Métropole" in set(tableau["nom"])
    figure = _figures(at)[0]
    barres = figure["data"][0]
    assert len(barres["y"]) == len(pairs)
    territoire = [y for y, c in zip(barres["y"], barres["marker"]["color"]) if c == gc.PRIMAIRE]
    assert territoire == ["Brest Métropole (242900314)"]
    assert any(m.label == "Lieux pour 10 000 habitants" for m in at.metric)
    at.multiselect[0].set_value(["nb_lieux", "zones_blanches_population"]).run()
    _ok(at)
    assert list(at.dataframe[0].value.columns) == ["nom", "code", "nb_lieux", "zones_blanches_population"]
    reperes = at.dataframe[1].value["repere"].tolist()
    assert reperes[0].startswith("Ce territoire") and "Finistère (département)" in reperes and "France" in reperes


@pytest.mark.parametrize(
    ("territoire", "nb_pairs"), [("france", 18), ("reg:53", 18), ("commune:29019", 8)]
)
def test_both_pages_at_other_levels(territoire, nb_pairs):
    at = _page(territoire, ZONES)
    _ok(at)
    assert _metrique(at, "Communes en zone blanche") and _metrique(at, "Distance médiane")
    assert len(_figures(at)) >= 3
    at.switch_page(COMPARER)
    at.run()
    _ok(at)
    assert len(at.dataframe[0].value) == nb_pairs
    assert at.get("plotly_chart")


def test_comparer_with_an_uploaded_file_says_what_it_covers():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = "dep:16"
    at.query_params["source"] = "fichier"
    contenu = (RACINE / "tests" / "fixtures" / "files" / "charente_extrait.json").read_bytes()
    at.session_state["_fichier"] = ("charente_extrait.json", contenu)
    at.run()
    at.switch_page(COMPARER)
    at.run()
    _ok(at)
    assert any("ne compte que les lieux chargés" in i.value for i in at.info)
    assert len(at.dataframe[0].value) == len(territories.peers(territories.get("dep:16")))
