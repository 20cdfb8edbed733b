"""The embedded places snapshot: Aidants Connect conversion, the build's count identity, and data/lieux.parquet."""
from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from diagnostics.build import aidants_connect, snapshot
from diagnostics.paths import DATA_DIR, SHARED_DIR
from diagnostics.standard.fields import canonical_columns

FIXTURES = Path(__file__).parent / "fixtures" / "snapshot"
RAW = SHARED_DIR / "data"


# --- Aidants Connect ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "city", "expected"),
    [
        ("20 Avenue de Ségur, 75007 Paris", "Paris", ("20 Avenue de Ségur", "", "")),
        ("29 rue Draye de Meyne, 26110, NYONS", "Nyons", ("29 rue Draye de Meyne", "", "")),
        ("25 RUE CONDORCET42300 Roanne", "Roanne", ("25 RUE CONDORCET", "", "")),
        ("Hôtel de Ville \n6 avenue Pasteur\n33270 Floirac", "Floirac", ("6 avenue Pasteur", "Hôtel de Ville", "")),
        ("Place du General de Gaulle\n59280\nArmentières", "Armentières", ("Place du General de Gaulle", "", "")),
        (
            "1 rue de la Martinique - CS 21066- ZA Foucherolles –\n\nBP 297 97495 STE CLOTILDE CEDEX",
            "Sainte-Clotilde",
            ("1 rue de la Martinique - CS 21066- ZA Foucherolles", "BP 297", ""),
        ),
        (
            "135 RUE DE GENEVE\n\nAutre adresse :\n167 rue de geneve",
            "Amiens",
            ("135 RUE DE GENEVE", "", "167 rue de geneve"),
        ),
    ],
)
def test_aidants_connect_addresses(address, city, expected):
    assert aidants_connect.split_address(address, city) == expected


def test_aidants_connect_records():
    table = aidants_connect.read(FIXTURES / "aidants_connect_extrait.csv")
    records, inactive = aidants_connect.to_records(table)
    active = table[table["Is Active"] == "true"]
    assert inactive == len(table) - len(active) > 0
    assert len(records) == len(active)
    assert records["pivot"].str.fullmatch(r"\d*").all()  # "13002603200016.0" → digits, "0.0" → ""
    assert "13002603200016" in set(records["pivot"])
    labelled = active["France Services Label"].eq("true").to_numpy()
    assert (records.loc[labelled, "dispositif_programmes_nationaux"] == "Aidants Connect|France Services").all()
    assert (records.loc[~labelled, "dispositif_programmes_nationaux"] == "Aidants Connect").all()
    assert set(records["date_maj"]) == {aidants_connect.DATE_MAJ}
    assert not records["adresse"].str.contains(r"\n|\b\d{5}\b").any()


# --- the build ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not RAW.is_dir():
        pytest.skip(f"données brutes absentes ({RAW}) : la construction de l'instantané ne peut pas être testée")
    data = tmp_path_factory.mktemp("data")
    (data / snapshot.PROVENANCE_FILE).write_text(
        f"# Provenance\n\navant\n\n{snapshot.DEBUT}\nancienne section\n{snapshot.FIN}\n\naprès\n", encoding="utf-8"
    )
    counts = snapshot.build(SHARED_DIR, data)
    return counts, gpd.read_parquet(data / snapshot.SNAPSHOT_FILE), (data / snapshot.PROVENANCE_FILE).read_text("utf-8")


def _raw_rows_kept() -> int:
    """Rows of every source counted straight from the raw files (inactive Aidants Connect structures out)."""
    total = 0
    for source in snapshot.SOURCES:
        path = RAW / source.chemin
        if path.suffix == ".json":
            total += len(json.loads(path.read_text("utf-8")))
        elif path.suffix == ".geojson":
            total += len(json.loads(path.read_text("utf-8"))["features"])
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            total += int(table["Is Active"].ne("false").sum()) if "Is Active" in table else len(table)
    return total


def test_nothing_lost(built):
    counts, lieux, _ = built
    assert counts["lieux_avant_dedoublonnage"] == _raw_rows_kept()
    assert counts["lieux_avant_dedoublonnage"] == counts["lieux"] + counts["lieux_fusionnes"]
    assert len(lieux) == counts["lieux"]
    # Every merged row names the rows it absorbed.
    sizes = lieux["anomalies"].str.extract(r"doublons fusionnés : (\d+) fiches")[0].dropna().astype(int)
    assert int((sizes - 1).sum()) == counts["lieux_fusionnes"] > 0


def test_snapshot_frame(built):
    _, lieux, _ = built
    assert list(lieux.columns) == [*canonical_columns(), "geometry"]
    assert lieux.crs.to_epsg() == 4326
    assert lieux["id"].is_unique
    order = lieux[["code_commune_2026", "nom", "id"]].apply(tuple, axis=1).tolist()
    assert order == sorted(order)
    only_ac = lieux["origine"] == aidants_connect.ORIGINE
    placed = only_ac & lieux["latitude"].notna()
    assert lieux.loc[placed, "position_approximative"].all()
    assert lieux.loc[placed, "anomalies"].str.contains("point intérieur de la commune").all()
    both = lieux["origine"].str.contains("CNFS 2022") & lieux["origine"].str.contains("France Services 2023")
    assert both.any()
    dispositifs = lieux.loc[both, "dispositif_programmes_nationaux"].str.split("|")
    assert dispositifs.map(lambda d: {"Conseillers numériques", "France Services"} <= set(d)).all()


def test_provenance_section_replaced_between_markers(built):
    counts, _, text = built
    assert text.startswith("# Provenance\n\navant\n\n")
    assert text.endswith(f"{snapshot.FIN}\n\naprès\n")
    assert "ancienne section" not in text
    section = text.split(snapshot.DEBUT)[1].split(snapshot.FIN)[0]
    for source in snapshot.SOURCES:
        assert f"| {source.origine} |" in section
    assert f"**{counts['lieux']:,} lieux**".replace(",", " ") in section
    assert "--source api" in section


def test_committed_snapshot_loads():
    path = DATA_DIR / snapshot.SNAPSHOT_FILE
    lieux = gpd.read_parquet(path)
    assert list(lieux.columns) == [*canonical_columns(), "geometry"]
    assert lieux["id"].is_unique
    assert len(lieux) > 10_000
    dates = lieux["date_maj"][lieux["date_maj"] != ""]
    assert dates.map(lambda d: bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d))).all()
