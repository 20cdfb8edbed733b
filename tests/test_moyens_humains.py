"""Human means: conseillers numériques and Aidants Connect, against the raw files and their parents."""
import csv
import json

import pytest

from diagnostics import places, reference, territories, zonage
from diagnostics.diagnostic import diagnostic
from diagnostics.indicators import moyens_humains
from diagnostics.paths import SHARED_DIR

RAW = SHARED_DIR / "data"
BRUT_REQUIS = pytest.mark.skipif(
    not (RAW / "extra" / "conseillers_numeriques_structures_2023_portrea.json").exists(),
    reason=f"fichiers bruts absents ({RAW}) : le décompte indépendant ne peut pas être fait",
)
AIDANTS_CSV = RAW / "places/inclusion-numerique/38263aa/aidants-connect_structures.csv"


def _bloc(ident: str) -> dict:
    t = territories.resolve(ident)
    lieux = places.lieux_embarques(t)
    return diagnostic(t, lieux.lieux, lieux.source, parties=("moyens_humains",))


def _passage_brut() -> dict[str, str]:
    with open(RAW / "geo" / "communes_passage_2026.csv", encoding="utf-8") as f:
        return {r["code_source"]: r["code_2026"] for r in csv.DictReader(f) if r["prefere"] == "True"}


@BRUT_REQUIS
@pytest.mark.parametrize("ident", ["epci:242900314", "dep:29"])
def test_counts_match_the_raw_files(ident):
    t = territories.resolve(ident)
    codes = set(t.codes_communes)
    passage = _passage_brut()
    raw = json.loads((RAW / "extra/conseillers_numeriques_structures_2023_portrea.json").read_text(encoding="utf-8"))
    structures = [s for s in raw.values() if passage.get(str(s["Code commune Insee"]).zfill(5)) in codes]
    with open(AIDANTS_CSV, encoding="utf-8") as f:
        aidants = list(csv.DictReader(f))
    actives = [r for r in aidants if r["Is Active"] == "true" and passage.get(r["City Insee Code"]) in codes]
    # Structures without an INSEE code are placed by postcode and name: at most those of the territory's postcodes.
    postcodes = set(
        "|".join(reference.communes().set_index("code").loc[list(codes), "codes_postaux"].fillna("")).split("|")
    )
    sans_code = [r for r in aidants if r["Is Active"] == "true" and not r["City Insee Code"] and r["Zip Code"] in postcodes]

    d = _bloc(ident)["moyens_humains"]
    cn = d["conseillers_numeriques"]
    assert cn["nb_structures"] == len(structures) > 0
    assert cn["attribues"] == sum(s["Nb de conseillers attribués"] for s in structures)
    assert cn["recrutes"] == sum(s["Nb de conseillers recrutés"] for s in structures)
    assert cn["formes"] == sum(s["Nb de conseillers formés"] for s in structures)
    ac = d["aidants_connect"]
    attendu = sum(int(r["Nombre d'aidants"] or 0) for r in actives)
    marge = sum(int(r["Nombre d'aidants"] or 0) for r in sans_code)
    assert attendu <= ac["aidants_habilites"] <= attendu + marge
    assert len(actives) <= ac["nb_structures"] <= len(actives) + len(sans_code)
    if not sans_code:
        usagers = sum(int(r["Question 110 → Nombre D'usagers Uniques"] or 0) for r in actives)
        assert ac["usagers_uniques"] == usagers


def test_ratios_themes_and_sources():
    d = _bloc("dep:29")
    m = d["moyens_humains"]
    cn, ac = m["conseillers_numeriques"], m["aidants_connect"]
    assert cn["recrutes_pour_10000_habitants"] == pytest.approx(cn["recrutes"] * 10_000 / d["population"], abs=1e-4)
    assert cn["recrutes_par_lieu"] == pytest.approx(cn["recrutes"] / d["nb_lieux"], abs=1e-4)
    assert ac["aidants_par_lieu"] == pytest.approx(ac["aidants_habilites"] / d["nb_lieux"], abs=1e-4)
    themes = ac["demarches_par_theme"]
    assert len(themes) == len(moyens_humains.THEMES)
    assert [t["demarches"] for t in themes] == sorted((t["demarches"] for t in themes), reverse=True)
    assert ac["principaux_themes"] == [t["theme"] for t in themes[:4] if t["demarches"]]
    assert cn["date"] == "2023" and ac["date"] == "2024-02-22"
    assert "2023" in cn["source"]["libelle"] and "2024" in ac["source"]["libelle"]


def test_parents_and_peers():
    d = _bloc("dep:29")["moyens_humains"]["comparaison"]
    assert set(d) == {"region", "france", "mediane_pairs"}
    france = d["france"]
    totaux = zonage.conseillers_numeriques()
    attribuees = totaux[totaux["code_commune_2026"].isin(set(reference.communes()["code"]))]
    assert france["conseillers_numeriques_recrutes"] == attribuees["recrutes"].sum()
    assert france["population"] == reference.communes()["population"].sum()
    bretagne = [territories.get(f"dep:{c}") for c in ("22", "35", "56")]
    table = moyens_humains.figures_table(moyens_humains.table_niveau("departement"))
    attendu = table.loc[[t.code for t in bretagne], "aidants_pour_10000_habitants"].median()
    assert d["mediane_pairs"]["nb_pairs"] == 3
    assert d["mediane_pairs"]["aidants_pour_10000_habitants"] == pytest.approx(attendu, abs=1e-4)


def test_sum_over_departements_is_the_national_total():
    dep = moyens_humains.table_niveau("departement")
    france = moyens_humains.table_niveau("france").loc["france"]
    for colonne in ("cn_recrutes", "ac_nb_aidants", "ac_demarches", "population"):
        assert dep[colonne].sum() == france[colonne]


def test_a_missing_file_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(zonage, "DATA_DIR", tmp_path)
    caches = (zonage.conseillers_numeriques, zonage.aidants_connect, moyens_humains._par_commune,
              moyens_humains._table_niveau)
    for f in caches:
        f.cache_clear()
    try:
        m = _bloc("commune:29019")["moyens_humains"]
        assert m["fichier_manquant"] == "data/conseillers_numeriques.parquet"
        assert "aidants_connect" not in m and "introuvable" in m["message"]
    finally:
        monkeypatch.undo()
        for f in caches:
            f.cache_clear()
