"""IFN classes, population weighting and the priority ranking, by hand and on the real IFN."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from diagnostics import reference
from diagnostics.indicators import fragilite


def test_class_boundaries():
    scores = pd.Series([0, 10 / 7, 10 / 7 + 1e-6, 20 / 7, 5, 60 / 7 + 1e-6, 10, np.nan])
    assert fragilite.classe_ifn(scores).tolist() == [1, 1, 2, 2, 4, 7, 7, pd.NA]


def test_labels_and_colours_run_from_low_blue_to_high_red():
    assert len(fragilite.LIBELLES_CLASSES) == len(fragilite.COULEURS_CLASSES) == 7
    assert fragilite.libelle_classe(1) == "risque faible" and fragilite.libelle_classe(7) == "risque fort"
    assert fragilite.couleur_classe(1) == "#4A6BAE" and fragilite.couleur_classe(7) == "#BF4046"
    assert len(set(fragilite.COULEURS_CLASSES)) == 7
    assert fragilite.libelle_classe(pd.NA) == "donnée manquante"


def _communes(**columns) -> pd.DataFrame:
    base = {"code": ["A", "B", "C"], "nom": ["Aville", "Bbourg", "Ccamp"]}
    return pd.DataFrame({**base, **columns})


def test_ifn_per_commune_from_a_series_keeps_the_input_index():
    communes = _communes(population=[100, 300, 50])
    communes.index = [7, 8, 9]
    table = fragilite.ifn_par_commune(communes, pd.Series({"A": 2.0, "B": 8.0}))
    assert table.index.tolist() == [7, 8, 9]
    assert table["ifn"].tolist()[:2] == [2.0, 8.0] and pd.isna(table.loc[9, "ifn"])
    assert table["classe"].tolist() == [2, 6, pd.NA]
    assert table["couleur"].tolist()[2] == fragilite.COULEUR_SANS_DONNEE


def test_population_weighted_ifn_leaves_out_communes_without_ifn():
    communes = _communes(population=[100, 300, 50])
    ifn = pd.Series({"A": 2.0, "B": 8.0})
    # (2 × 100 + 8 × 300) / 400; the plain mean would say 5.
    assert fragilite.ifn_pondere(communes, ifn) == pytest.approx(6.5)


def test_ifn_per_unit():
    communes = _communes(population=[100, 300, 50], dep=["01", "01", "02"])
    table = fragilite.ifn_par_unite(communes, "dep", pd.Series({"A": 2.0, "B": 8.0}))
    assert table.loc["01", "ifn_pondere"] == pytest.approx(6.5)
    assert table.loc["01", "classe"] == 5
    assert pd.isna(table.loc["02", "ifn_pondere"])
    assert (table.loc["02", "population_sans_ifn"], table.loc["02", "n_communes_sans_ifn"]) == (50, 1)


def test_priority_order_on_three_communes():
    # A: fragile and far from any place; B: as fragile but well served; C: far but not fragile.
    communes = _communes(population=[1000, 1000, 1000])
    ifn = pd.Series({"A": 8.0, "B": 8.0, "C": 2.0})
    access = pd.Series({"A": 0.0, "B": 5.0, "C": 0.0})
    distance = pd.Series({"A": 15.0, "B": 1.0, "C": 15.0})
    ranked = fragilite.priorites(communes, ifn, access, distance)
    assert ranked["code"].tolist() == ["A", "C", "B"]
    assert ranked["rang"].tolist() == [1, 2, 3]
    a = ranked.set_index("code").loc["A"]
    # F = 0.8; P = 1 (largest commune); A = mean(1 − 0/5, 15/20) = 0.875 → 0.7.
    assert (a["fragilite"], a["poids_population"], a["manque_acces"]) == pytest.approx((0.8, 1.0, 0.875))
    assert a["score"] == pytest.approx(0.7)
    b = ranked.set_index("code").loc["B"]
    assert b["manque_acces"] == pytest.approx((0 + 1 / 20) / 2)
    assert a["motif"].startswith("IFN 8,0/10 (risque assez fort), 1\u202f000 habitants, lieu le plus proche à 15,0 km")


def test_priority_weights_change_the_order():
    communes = _communes(population=[1000, 1000, 1000])
    ifn = pd.Series({"A": 8.0, "B": 9.0, "C": 2.0})
    access = pd.Series({"A": 0.0, "B": 5.0, "C": 0.0})
    distance = pd.Series({"A": 15.0, "B": 1.0, "C": 15.0})
    by_need_only = fragilite.priorites(communes, ifn, access, distance, poids_acces=0)
    assert by_need_only["code"].tolist() == ["B", "A", "C"]
    by_access_only = fragilite.priorites(communes, ifn, access, distance, poids_fragilite=0)
    assert by_access_only["code"].tolist()[-1] == "B"


def test_population_breaks_even_need_and_missing_ifn_comes_last():
    communes = _communes(population=[200, 20_000, 5_000])
    ifn = pd.Series({"A": 7.0, "B": 7.0})
    ranked = fragilite.priorites(communes, ifn, distance_km=pd.Series({"A": 12.0, "B": 12.0, "C": 30.0}))
    assert ranked["code"].tolist() == ["B", "A", "C"]
    assert ranked.set_index("code").loc["A", "poids_population"] == pytest.approx(math.log1p(200) / math.log1p(20_000))
    assert pd.isna(ranked.iloc[-1]["rang"]) and "IFN inconnu" in ranked.iloc[-1]["motif"]


def test_summary_is_json_ready():
    communes = _communes(population=[100, 300, 50])
    resume = fragilite.resume_fragilite(
        communes, pd.Series({"A": 2.0, "B": 8.0}), distance_km=pd.Series({"A": 3.0, "B": 25.0, "C": 1.0})
    )
    text = json.dumps(resume, allow_nan=False)
    assert resume["ifn_pondere_population"] == 6.5 and resume["ifn_moyen_communes"] == 5.0
    assert [c["n_communes"] for c in resume["classes"]] == [0, 1, 0, 0, 0, 1, 0]
    assert resume["communes_sans_ifn"] == ["C"] and resume["population_sans_ifn"] == 50
    assert [p["code"] for p in resume["priorites"]] == ["B", "A"]
    assert "NaN" not in text


def test_real_ifn_weighted_mean_reproduces_published_epci_values():
    communes = reference.communes()
    table = fragilite.ifn_par_unite(communes, "epci")
    both = table.dropna(subset=["ifn_pondere", "ifn_publie"])
    assert len(both) > 1200
    gap = (both["ifn_pondere"] - both["ifn_publie"]).abs()
    assert gap.median() < 0.02 and (gap < 0.1).mean() > 0.99
    # Every commune with an IFN gets a class, and the classes cover the whole population with an IFN.
    per_commune = fragilite.ifn_par_commune(communes)
    assert per_commune["classe"].notna().sum() == per_commune["ifn"].notna().sum()
    assert per_commune["classe"].dropna().between(1, 7).all()
