"""The « Évolution » page runs headless (AppTest): with two pictures in a temporary history its figures are
the counts derived from the JSON rows; the same picture twice and a bad reference in the URL are said;
an uploaded file stays out of the URL and out of the shared history unless asked."""
from __future__ import annotations

import json
from pathlib import Path

import photos_evolution as pe
import pytest
from pages_apptest import ouvrir, sans_erreur
from streamlit.testing.v1 import AppTest

from diagnostics.sources.historique import Historique

RACINE = Path(__file__).resolve().parents[1]
APP = str(RACINE / "app.py")
PAGE = "pages/evolution.py"


@pytest.fixture
def historique(tmp_path, monkeypatch):
    """Two pictures of reg:93 in a history of this test's own."""
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    h = Historique()
    avant, apres = pe.fichiers()
    photo_avant = h.ajouter_fichier(avant, "hub_avant.json", pe.TERRITOIRE, "2023-05-17", len(json.loads(avant)))
    photo_apres = h.ajouter_fichier(apres, "hub_apres.json", pe.TERRITOIRE, "2024-09-12", len(json.loads(apres)))
    return h, photo_avant, photo_apres


@pytest.fixture
def historique_vide(tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    return Historique()


def _page(territoire: str, **params) -> AppTest:
    return ouvrir(territoire, PAGE, **params)


_ok = sans_erreur


def _metrique(at: AppTest, libelle: str):
    return next(m for m in at.metric if m.label == libelle)


def _param(at: AppTest, nom: str):
    valeur = at.query_params.get(nom)
    return valeur[0] if isinstance(valeur, list) else valeur


@pytest.mark.parametrize("territoire", ["dep:29", "reg:93"])
def test_page_runs_with_only_the_snapshot(historique_vide, territoire):
    at = _page(territoire)
    _ok(at)
    assert at.title[0].value == "Évolution"
    # Nothing but the snapshot at hand: both sides default to it, which is no comparison.
    assert any("sont la même" in i.value for i in at.info)
    assert _param(at, "avant") == "embarque" and _param(at, "apres") == "embarque"


def test_two_history_pictures_show_the_expected_counts(historique):
    _, photo_avant, photo_apres = historique
    attendu = pe.attendus()
    at = _page(pe.TERRITOIRE)
    _ok(at)
    # Defaults: the oldest picture before, the newest after (both older/newer than the snapshot).
    assert _param(at, "avant") == photo_avant.ref and _param(at, "apres") == photo_apres.ref
    assert _metrique(at, "Lieux ouverts").value == str(attendu["ouverts"])
    assert _metrique(at, "Lieux fermés").value == str(attendu["fermes"])
    assert _metrique(at, "Lieux déplacés").value == str(attendu["deplaces"])
    assert _metrique(at, "Lieux modifiés").value == str(attendu["modifies"])
    lieux = _metrique(at, "Lieux")
    avant, apres = (int(x) for x in lieux.value.split(" → "))
    assert apres - avant == attendu["ouverts"] - attendu["fermes"] and lieux.delta == "-1"
    assert any(m.label == "Habitants en zone blanche" for m in at.metric)
    assert any(m.label == "Part des fiches à jour" for m in at.metric)
    # The changes table: one row per opening, closure, move and changed field.
    changements = at.dataframe[0].value
    assert len(changements) == attendu["ouverts"] + attendu["fermes"] + attendu["deplaces"] + attendu["modifies"]
    assert pe.MALVEILLANT in set(changements["Nom"])
    libelles = [b.label for b in at.get("download_button")]
    assert {"Changements affichés (CSV)", "Changements affichés (XLSX)", "Classeur complet de l'évolution (XLSX)"} <= set(libelles)
    carte = at.get("component_instance")[0].proto.json_args
    assert "Lieux ouverts" in carte and "<img src=x" not in carte
    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    assert [t["name"] for t in figures[0]["data"]] == ["Lieux ouverts", "Lieux fermés"]


def test_changes_table_filters(historique):
    at = _page(pe.TERRITOIRE)
    _ok(at)
    cle = next(m.key for m in at.multiselect if m.label == "Changement")
    at.multiselect(key=cle).set_value(["fermé"]).run()
    _ok(at)
    assert set(at.dataframe[0].value["Changement"]) == {"fermé"}
    assert _metrique(at, "Changements affichés").value == f"{pe.attendus()['fermes']} sur 7"


def test_same_picture_twice_is_said(historique):
    _, photo_avant, _ = historique
    at = _page(pe.TERRITOIRE, avant=photo_avant.ref, apres=photo_avant.ref)
    _ok(at)
    assert any("sont la même" in i.value for i in at.info)
    assert not any(m.label == "Lieux ouverts" for m in at.metric)


def test_unknown_reference_in_the_url_warns_and_falls_back(historique):
    _, photo_avant, photo_apres = historique
    at = _page(pe.TERRITOIRE, avant="historique:2099-01-01", apres="n'importe quoi <b>")
    _ok(at)
    avertissements = [w.value for w in at.warning if "demandée dans l'adresse" in w.value]
    assert len(avertissements) == 2 and "&lt;b&gt;" in avertissements[1]
    assert _param(at, "avant") == photo_avant.ref and _param(at, "apres") == photo_apres.ref
    # A day alone names the newest picture of that day.
    at = _page(pe.TERRITOIRE, avant="historique:2023-05-17", apres="embarque")
    _ok(at)
    assert _param(at, "avant") == photo_avant.ref and _param(at, "apres") == "embarque"


def test_an_uploaded_file_stays_in_the_session_unless_asked(historique):
    h, photo_avant, _ = historique
    apres = pe.fichiers()[1] + b"\n"  # not byte for byte a picture of the history already
    at = _page(pe.TERRITOIRE)
    at.selectbox(key=f"evolution_apres_{pe.TERRITOIRE}").set_value("fichier").run()
    _ok(at)
    assert any("importez un fichier" in i.value for i in at.info)
    at.session_state["_evolution_fichier_apres"] = ("mon_fichier.json", apres)
    at.run()
    _ok(at)
    assert _metrique(at, "Lieux ouverts").value == str(pe.attendus()["ouverts"])
    assert "apres" not in at.query_params, "an uploaded file is not shareable"
    assert len(h.photos(pe.TERRITOIRE)) == 2, "never added to the shared history unless asked"
    at.checkbox(key="evolution_ajouter_apres").check().run()
    _ok(at)
    assert len(h.photos(pe.TERRITOIRE)) == 3 and any("Ajouté à l'historique" in s.value for s in at.success)
    # An unreadable file: a French error, the other side untouched.
    at.session_state["_evolution_fichier_apres"] = ("casse.xlsx", b"pas un classeur")
    at.run()
    assert not at.exception
    assert at.error and "« Après »" in at.error[0].value
    assert _param(at, "avant") == photo_avant.ref


def test_a_download_now_is_compared_and_kept_in_the_history(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DIAGNOSTIC_API_URL", server.url)
    at = _page("dep:13", avant="embarque", apres="api")
    _ok(at)
    assert any(m.label == "Lieux ouverts" for m in at.metric)
    assert _param(at, "apres") == "api"
    gardees = Historique().photos("dep:13")
    assert [p.source for p in gardees] == ["api"], "every successful download is a dated picture"
    # The next visit lists it, and it can be named in the URL.
    at = _page("dep:13", avant="embarque", apres=gardees[0].ref)
    _ok(at)
    assert _param(at, "apres") == gardees[0].ref


def test_white_zone_distance_follows_the_slider(historique):
    at = _page(pe.TERRITOIRE)
    _ok(at)
    at.slider(key="evolution_rayon").set_value(5).run()
    _ok(at)
    assert _param(at, "rayon") == "5"
    assert any("à plus de 5 km" in c.value for c in at.caption)
    zones = {m.label: m.value for m in at.metric}["Habitants en zone blanche"]
    at.slider(key="evolution_rayon").set_value(20).run()
    assert {m.label: m.value for m in at.metric}["Habitants en zone blanche"] != zones
