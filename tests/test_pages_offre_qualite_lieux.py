"""The "Offre de services", "Qualité des données" and "Lieux" pages run headless with AppTest: every
territory level, filters that really filter, downloads, and hostile text from an uploaded file."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnostics import territories
from diagnostics.places import charger_lieux
from diagnostics.standard.fields import CODE_COMMUNE
from diagnostics.views.format import nombre

APP = str(Path(__file__).resolve().parents[1] / "app.py")
OFFRE, QUALITE, LIEUX = "pages/offre.py", "pages/qualite.py", "pages/lieux.py"
NIVEAUX = ["commune:29019", "epci:242900314", "dep:29", "reg:53", "france"]
SOURCE = "Source : Instantané embarqué"


def _app(territoire: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = territoire
    for key, value in params.items():
        at.query_params[key] = value
    return at


def _page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def _plotly(at: AppTest) -> list[str]:
    return [el.proto.spec for el in at.get("plotly_chart")]


def _widget(elements, label: str):
    return next(w for w in elements if w.label == label)


@pytest.mark.parametrize("territoire", NIVEAUX)
def test_the_three_pages_at_every_level(territoire):
    at = _app(territoire).run()
    assert not at.exception, at.exception

    _page(at, OFFRE)
    assert {"Lieux du territoire", "Accès gratuit", "Horaires exploitables", "Heures par semaine",
            "Ouverts le samedi"} <= set(_metrics(at))
    assert len(_plotly(at)) == 12  # 9 offer profiles, 2 hours charts, per-service white zones
    assert SOURCE in _captions(at)

    _page(at, QUALITE)
    assert {"Fiches à actualiser", "Complétude moyenne", "Doublons probables", "Horaires illisibles",
            "Positions à corriger", "Fiches affichées"} <= set(_metrics(at))
    assert len(_plotly(at)) == 3 and len(at.dataframe) >= 3
    assert len(at.get("download_button")) >= 2
    assert SOURCE in _captions(at)

    _page(at, LIEUX)
    affiches, total = _metrics(at)["Lieux affichés"].split(" sur ")
    assert affiches == total  # no filter yet
    assert len(at.dataframe) == 1 and len(at.get("download_button")) == 3
    assert SOURCE in _captions(at)


def test_a_territory_without_places_says_so_on_each_page():
    at = _app("commune:29001").run()  # Argol: no place of the snapshot, neighbours within 30 km
    for page in (OFFRE, QUALITE, LIEUX):
        _page(at, page)
        assert any("Aucun lieu de cette source" in i.value for i in at.info), page
    assert _metrics(at)["Lieux affichés"] == "0 sur 0"


@pytest.fixture(scope="module")
def finistere() -> AppTest:
    return _app("dep:29").run()


def test_offer_counts_the_territorys_own_places(finistere):
    t = territories.resolve("dep:29")
    lieux = charger_lieux(t, "embarque").lieux
    attendu = int(lieux[CODE_COMMUNE].isin(set(t.codes_communes)).sum())
    at = _page(finistere, OFFRE)
    assert _metrics(at)["Lieux du territoire"] == nombre(attendu)


def test_communes_far_from_a_service_are_listed(finistere):
    at = _page(finistere, OFFRE)
    tables_avant = len(at.dataframe)
    _widget(at.selectbox, "Communes éloignées d'un service").set_value("Insertion professionnelle via le numérique").run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == tables_avant + 1
    communes = at.dataframe[-1].value
    assert len(communes) > 0 and "Commune" in communes.columns
    assert any(b.label == "Télécharger la liste (CSV)" for b in at.get("download_button"))


def test_places_filters_reduce_the_count(finistere):
    at = _page(finistere, LIEUX)
    total = len(at.dataframe[0].value)
    assert _metrics(at)["Lieux affichés"] == f"{nombre(total)} sur {nombre(total)}"

    services = _widget(at.multiselect, "Services")
    assert services.options[0].startswith("Aide aux démarches administratives (")  # labelled with its count
    services.set_value(["Maîtrise des outils numériques du quotidien"]).run()
    filtre = len(at.dataframe[0].value)
    assert 0 < filtre < total
    assert _metrics(at)["Lieux affichés"] == f"{nombre(filtre)} sur {nombre(total)}"

    _widget(at.selectbox, "Commune").set_value("29019").run()
    assert len(at.dataframe[0].value) <= filtre
    assert set(at.dataframe[0].value["Commune"]) <= {"Brest"}

    _widget(at.checkbox, "Ouvert maintenant").check().run()  # open now: whatever the hour, never more places and no error
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) <= filtre
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["CSV au standard", "Tableur (XLSX)", "Carte (GeoJSON)"]


def test_todo_list_filter_by_problem(finistere):
    at = _page(finistere, QUALITE)
    total = _metrics(at)["Fiches affichées"].split(" sur ")[1]
    problemes = _widget(at.multiselect, "Problèmes")
    assert any(option.startswith("Doublon probable (") for option in problemes.options)
    problemes.set_value(["doublon_probable"]).run()
    assert not at.exception, at.exception
    shown = at.dataframe[-1].value
    assert _metrics(at)["Fiches affichées"] == f"{nombre(len(shown))} sur {total}"
    assert 0 < len(shown) < int(total.replace("\u202f", ""))
    assert shown["Problèmes"].str.contains("Doublon").all()
    assert {b.label for b in at.get("download_button")} >= {"Liste à faire (CSV)", "Liste à faire (XLSX)"}


HOSTILE = "<img src=x onerror=alert(1)>"
FICHIER = (
    "id,pivot,nom,commune,code_postal,code_insee,adresse,latitude,longitude,services,typologie,date_maj,source,site_web\n"
    f"a1,00000000000000,{HOSTILE},Brest,29200,29019,1 rue de Siam,48.39,-4.49,Aide aux démarches administratives,"
    f"\"{HOSTILE}|BIB\",2026-10-01,<script>alert(1)</script>,javascript:alert(1)\n"
    "a2,00000000000000,Médiathèque,Brest,29200,29019,2 rue de Siam,48.391,-4.488,"
    "Maîtrise des outils numériques du quotidien,BIB,2026-10-01,dora,https://exemple.fr\n"
)


def test_hostile_text_from_an_uploaded_file_is_never_html():
    at = _app("commune:29019", source="fichier")
    at.session_state["_fichier"] = ("lieux.csv", FICHIER.encode())
    at.run()
    assert not at.exception, at.exception
    seen_in_table = False
    for page in (OFFRE, QUALITE, LIEUX):
        _page(at, page)
        for node in at._tree:
            proto = getattr(node, "proto", None)
            if proto is None or not hasattr(proto, "ListFields"):
                continue
            text = str(proto)
            if "allow_html: true" in text:
                assert "<img" not in text and "<script" not in text, page
        for spec in _plotly(at):
            assert "<img" not in spec and "<script" not in spec, page
        for element in [*at.markdown, *at.caption, *at.title, *at.info, *at.warning]:
            assert "<img" not in element.value and "<script" not in element.value, page
        if page == LIEUX:
            table = at.dataframe[0].value
            seen_in_table = HOSTILE in set(table["Nom"])
            assert table["Site web"].isna().sum() == 1  # javascript: never becomes a link
    assert seen_in_table, "the uploaded place must be listed (as plain text)"
    assert "&lt;img" in "".join(_plotly(_page(at, OFFRE)))  # the hostile typologie is shown, escaped
