"""Priority territories and human means on the Synthèse, Lieux and Carte pages (AppTest, no browser)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnostics import places, territories
from diagnostics.indicators import priorites

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _page(territoire: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = territoire
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize("territoire", ["commune:29001", "dep:29"])
def test_synthese_cards(territoire):
    at = _page(territoire, "pages/synthese.py")
    metriques = {m.label: m.value for m in at.metric}
    assert {"Communes FRR (classement 2025)", "Quartiers prioritaires (QPV 2024)", "Conseillers numériques (2023)",
            "Aidants Connect (février 2024)"} <= set(metriques)
    legendes = "\n".join(c.value for c in at.caption)
    if territoire == "dep:29":
        assert metriques["Quartiers prioritaires (QPV 2024)"] == "9 QPV"
        assert "Dans les communes FRR" in legendes and "Finistère" not in metriques
    else:
        assert metriques["Quartiers prioritaires (QPV 2024)"] == "aucun"
        assert "Aucun quartier prioritaire" in legendes


def test_lieux_table_columns_and_filter():
    at = _page("epci:242900314", "pages/lieux.py")
    table = at.dataframe[0].value
    assert {"En QPV", "Commune FRR"} <= set(table.columns)
    assert set(table["En QPV"]) <= {"oui", "non", "non situé"}
    filtre = next(w for w in at.selectbox if w.label == "Territoires prioritaires")
    filtre.set_value("qpv").run()
    t = territories.resolve("epci:242900314")
    lieux = places.lieux_embarques(t).lieux
    lieux = lieux[places.dans_territoire(lieux, t)]
    attendu = int(priorites.filtre_prioritaire(lieux, "qpv").sum())
    filtre_table = at.dataframe[0].value
    assert len(filtre_table) == attendu > 0 and set(filtre_table["En QPV"]) == {"oui"}


def test_carte_has_the_priority_filter_and_layers():
    at = _page("dep:29", "pages/carte.py")
    assert "Lieux affichés" in [w.label for w in at.selectbox]
    carte = [el for el in at.get("iframe") + at.get("deck_gl_json_chart") if el] or at.get("unknown")
    texte = "".join(str(getattr(el, "proto", "")) for el in at.main.children.values()) if not carte else str(carte)
    assert "Quartiers prioritaires (QPV 2024" in texte


def test_qualite_page_shows_the_zones():
    at = _page("dep:29", "pages/qualite.py")
    tables = [d.value for d in at.dataframe if "Zone" in d.value.columns]
    assert len(tables) == 1
    zones = tables[0].set_index("Zone")
    t = territories.resolve("dep:29")
    lieux = places.lieux_embarques(t).lieux
    lieux = lieux[places.dans_territoire(lieux, t)]
    assert zones.loc["En QPV (2024)", "Lieux"] == int(priorites.filtre_prioritaire(lieux, "qpv").sum())
    assert zones.loc["Position au centre de la commune (QPV inconnu)", "Lieux"] == int(
        priorites.zonage_lieux(lieux)["en_qpv"].isna().sum()
    )
