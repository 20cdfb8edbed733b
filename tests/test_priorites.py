"""Priority territories: FRR communes and QPV, counted against the raw files, zone vs rest by hand."""
import csv
import json

import numpy as np
import pandas as pd
import pytest

from diagnostics import places, territories, zonage
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators import priorites
from diagnostics.paths import SHARED_DIR
from diagnostics.standard.fields import to_places_frame

RAW = SHARED_DIR / "data"
BRUT_REQUIS = pytest.mark.skipif(
    not (RAW / "extra" / "priorites").is_dir(),
    reason=f"fichiers bruts absents ({RAW}) : le décompte indépendant ne peut pas être fait",
)


def _passage_brut() -> dict[str, str]:
    with open(RAW / "geo" / "communes_passage_2026.csv", encoding="utf-8") as f:
        return {r["code_source"]: r["code_2026"] for r in csv.DictReader(f) if r["prefere"] == "True"}


def _diag(ident: str, **kw) -> dict:
    t = territories.resolve(ident)
    lieux = places.lieux_embarques(t)
    return diagnostic(t, lieux.lieux, lieux.source, parties=("territoires_prioritaires",), **kw)


@BRUT_REQUIS
def test_counts_of_brest_metropole_match_the_raw_files():
    t = territories.resolve("epci:242900314")
    codes = set(t.codes_communes)
    passage = _passage_brut()
    with open(RAW / "extra/priorites/liste-communes-FRR-juillet2025.csv", encoding="utf-8") as f:
        lignes = list(csv.reader(f, delimiter=";"))[1:]
    frr = [r for r in lignes if passage.get(r[0]) in codes and r[3] != "Non classée"]
    with open(RAW / "extra/priorites/qpv2024_simplified.geojson", encoding="utf-8") as f:
        features = json.load(f)["features"]
    qpv = {
        ft["properties"]["code_qp"] for ft in features
        if {passage.get(c.strip()) for c in ft["properties"]["insee_com"].split(",")} & codes
    }
    with open(RAW / "extra/priorites/analyse_qpv.csv", encoding="utf-8") as f:
        pop = {r["codeQPV"]: int(r["popMuniQPV"]) for r in csv.DictReader(f)}
    bloc = _diag(t.id)["territoires_prioritaires"]
    assert bloc["frr"]["nb_communes"] == len(frr)
    assert bloc["qpv"]["nb_quartiers"] == len(qpv) > 0
    # Brest's QPV lie in one commune each: the population is the file's own, whole.
    assert bloc["qpv"]["population"] == sum(pop[q] for q in qpv)
    assert {q["code_qp"] for q in bloc["qpv"]["quartiers"]} == qpv


@BRUT_REQUIS
def test_frr_classes_of_a_departement_match_the_raw_file():
    t = territories.resolve("dep:23")
    passage = _passage_brut()
    codes = set(t.codes_communes)
    with open(RAW / "extra/priorites/liste-communes-FRR-juillet2025.csv", encoding="utf-8") as f:
        lignes = [r for r in list(csv.reader(f, delimiter=";"))[1:] if passage.get(r[0]) in codes]
    attendu = pd.Series([r[3] for r in lignes]).value_counts().to_dict()
    bloc = _diag(t.id)["territoires_prioritaires"]["frr"]
    assert {c["classement"]: c["nb_communes"] for c in bloc["par_classement"]} == attendu


@pytest.mark.parametrize("ident", ["france", "reg:53", "dep:29", "epci:242900314", "commune:29019", "commune:29001"])
def test_frr_population_plus_others_is_the_total(ident):
    d = _diag(ident)
    frr = d["territoires_prioritaires"]["frr"]
    assert frr["population"] + frr["hors_zone"]["population"] == d["population"]
    assert frr["nb_communes"] + frr["hors_zone"]["nb_communes"] == d["nb_communes"]
    assert frr["nb_lieux"] + frr["hors_zone"]["nb_lieux"] == d["nb_lieux"]
    assert sum(c["population"] for c in frr["par_classement"]) == d["population"]
    qpv = d["territoires_prioritaires"]["qpv"]
    if qpv["nb_quartiers"]:
        assert qpv["population"] + qpv["hors_zone"]["population"] == d["population"]
        assert qpv["nb_lieux"] + qpv["hors_zone"]["nb_lieux"] + qpv["nb_lieux_non_situes"] == d["nb_lieux"]


def test_a_territory_without_qpv_says_so():
    qpv = _diag("commune:29001")["territoires_prioritaires"]["qpv"]
    assert qpv["nb_quartiers"] == 0 and qpv["quartiers"] == []
    assert "Aucun quartier prioritaire" in qpv["message"] and "2024" in qpv["message"]
    assert qpv["ecart"] is None


def _lieux(rows) -> pd.DataFrame:
    return to_places_frame(pd.DataFrame(rows))


def test_zone_versus_rest_by_hand_on_two_communes():
    """Kerandon (QPV of Concarneau) and Kermoysan (QPV of Quimper). Places at both QPV inner points (their
    people are 0 km away), one put at a commune centre (approximate), one outside any QPV; the communes'
    own distances are set to 7 km (Quimper) and 3 km (Concarneau)."""
    q = zonage.qpv().set_index("code_qp").loc[["QN02901M", "QN02902M"]]
    pop_kerandon, pop_kermoysan = (int(p) for p in q["population"])
    rows = [
        {"nom": f"Lieu {c}", "latitude": r.pos_lat, "longitude": r.pos_lon, "code_commune_2026": commune}
        for (c, r), commune in zip(q.iterrows(), ["29039", "29232"])
    ]
    rows += [
        {"nom": "Approché", "latitude": 47.99, "longitude": -4.10, "code_commune_2026": "29232",
         "position_approximative": True},
        {"nom": "Hors QPV", "latitude": 48.05, "longitude": -4.25, "code_commune_2026": "29232"},
    ]
    lieux = _lieux(rows)
    vecteurs = pd.DataFrame(
        {"nom": ["Quimper", "Concarneau"], "dep": "29", "reg": "53", "epci": "", "population": [60_000, 20_000],
         "nb_lieux": [3, 1], "distance_km": [7.0, 3.0], "acces_10000": np.nan},
        index=pd.Index(["29232", "29039"], name="code"),
    )
    bloc = priorites.resume_priorites(vecteurs, lieux, np.ones(4, dtype=bool))["qpv"]
    pop_qpv = pop_kerandon + pop_kermoysan
    assert bloc["nb_quartiers"] == 2 and bloc["population"] == pop_qpv
    assert bloc["nb_lieux"] == 2 and bloc["nb_lieux_non_situes"] == 1 and bloc["hors_zone"]["nb_lieux"] == 1
    assert bloc["lieux_pour_10000_habitants"] == pytest.approx(2 * 10_000 / pop_qpv, abs=1e-4)
    assert bloc["distance_mediane_km"] == 0 and bloc["part_population_a_moins_de"]["5"] == 1
    reste = bloc["hors_zone"]
    assert reste["population"] == 80_000 - pop_qpv
    assert reste["lieux_pour_10000_habitants"] == pytest.approx(10_000 / (80_000 - pop_qpv), abs=1e-4)
    # Rest: 20,000 − Kerandon at 3 km, 60,000 − Kermoysan at 7 km (the larger half: median 7 km).
    assert reste["part_population_a_moins_de"]["5"] == pytest.approx((20_000 - pop_kerandon) / (80_000 - pop_qpv), abs=1e-6)
    assert reste["part_population_a_moins_de"]["10"] == 1 and reste["distance_mediane_km"] == 7
    assert bloc["ecart"] == (
        "Dans les QPV, 100 % des habitants vivent à 10 km au plus d'un lieu, autant que dans le reste du "
        "territoire (100 %) ; distance médiane moins de 100 m contre 7,0 km."
    )
    assert [x["code_qp"] for x in bloc["quartiers"]] == ["QN02902M", "QN02901M"]  # most populated first
    zl = priorites.zonage_lieux(lieux)
    assert zl["en_qpv"].tolist() == [True, True, pd.NA, False]
    assert zl["code_qp"].tolist() == ["QN02901M", "QN02902M", "", ""]


def test_frr_zone_versus_rest_by_hand():
    # Real classes: 01029 FRR socle, 02004 FRR+, 01001 and 01002 not classified.
    vecteurs = pd.DataFrame(
        {"nom": list("abcd"), "dep": "01", "reg": "84", "epci": "", "population": [100, 300, 1000, 1000],
         "nb_lieux": [1, 0, 2, 0], "distance_km": [3.0, 12.0, 1.0, 6.0], "acces_10000": np.nan},
        index=pd.Index(["01029", "02004", "01001", "01002"], name="code"),
    )
    lieux = _lieux([])
    bloc = priorites.resume_priorites(vecteurs, lieux, np.zeros(0, dtype=bool))["frr"]
    assert (bloc["nb_communes"], bloc["population"], bloc["nb_lieux"]) == (2, 400, 1)
    assert bloc["lieux_pour_10000_habitants"] == 25
    assert bloc["part_population_a_moins_de"]["5"] == 0.25 and bloc["part_population_a_moins_de"]["10"] == 0.25
    assert bloc["distance_mediane_km"] == 12  # 300 of the 400 inhabitants live 12 km away
    assert bloc["zones_blanches_population"] == 300
    reste = bloc["hors_zone"]
    assert (reste["nb_communes"], reste["population"], reste["nb_lieux"]) == (2, 2000, 2)
    assert reste["part_population_a_moins_de"]["5"] == 0.5 and reste["part_population_a_moins_de"]["10"] == 1
    assert reste["distance_mediane_km"] == 1
    assert bloc["ecart"] == (
        "Dans les communes FRR, 25 % des habitants vivent à 10 km au plus d'un lieu, 75 points de moins que dans "
        "le reste du territoire (100 %) ; distance médiane 12,0 km contre 1,0 km."
    )
    assert [c["classement"] for c in bloc["par_classement"]] == ["FRR socle", "FRR+", "Non classée"]


def test_a_missing_zoning_file_names_it_and_gives_no_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(zonage, "DATA_DIR", tmp_path)
    for f in (zonage.frr, zonage.qpv, zonage.qpv_communes, priorites._frr, priorites._arbre_qpv, priorites._paires,
              priorites._qpv_table, priorites._qpv_projetes):
        f.cache_clear()
    try:
        d = _diag("dep:29")
        bloc = d["territoires_prioritaires"]
        assert bloc["frr"] == {"fichier_manquant": "data/frr_communes.parquet", "message": bloc["frr"]["message"]}
        assert "introuvable" in bloc["frr"]["message"] and "population" not in bloc["qpv"]
        assert bloc["qpv"]["fichier_manquant"] == "data/qpv_communes.parquet"
        zl = priorites.zonage_lieux(places.lieux_embarques(territories.resolve("dep:29")).lieux)
        assert zl["en_qpv"].isna().all() and zl["commune_frr"].isna().all()
    finally:
        monkeypatch.undo()
        for f in (zonage.frr, zonage.qpv, zonage.qpv_communes, priorites._frr, priorites._arbre_qpv,
                  priorites._paires, priorites._qpv_table, priorites._qpv_projetes):
            f.cache_clear()


def test_zoning_per_commune():
    z = priorites.zonage_communes(pd.Index(["29019", "29001", "01029"], dtype=object))
    assert z.loc["29019", "nb_qpv"] == 7 and z.loc["29001", "nb_qpv"] == 0
    assert z.loc["29001", "population_qpv"] == 0 and z.loc["29019", "population_qpv"] > 0
    assert z.loc["01029", "classement_frr"] == "FRR socle" and z.loc["01029", "commune_frr"]


def test_json_block_is_plain():
    d = _diag("epci:242900314")
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert d["territoires_prioritaires"]["frr"]["source"]["date"] == "2025-07-10"
    assert d["territoires_prioritaires"]["qpv"]["source"]["date"] == "2024"
    assert "compilation tierce" in d["territoires_prioritaires"]["qpv"]["source"]["population"]["libelle"]
