"""Text alternatives of the charts: the sentence and the table say what the figure draws; every chart of a
dashboard page has one."""
from pathlib import Path

import plotly.graph_objects as go
from streamlit.testing.v1 import AppTest

from diagnostics.views import graphiques_offre
from diagnostics.views.alternatives import alternative

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _profil():
    return {
        "titre": "Services proposés",
        "valeurs": [
            {"libelle": "Aide aux démarches", "nombre": 12, "part": 0.6, "hors_standard": False},
            {"libelle": "Matériel", "nombre": 30, "part": 0.9, "hors_standard": False},
            {"libelle": "<b>Atelier</b>", "nombre": 3, "part": 0.1, "hors_standard": True},
        ],
        "non_renseigne": 1,
        "part_non_renseigne": 0.05,
    }


def test_barres_horizontales_d_un_profil():
    fig = graphiques_offre.figure_profil(_profil())
    texte = alternative(fig)
    assert texte.phrase.startswith("Services proposés. 4 valeurs")
    # a label from the data is text, shown as it is written (plotly escapes it, the sentence says it)
    assert "les plus élevées : Matériel : 30, Aide aux démarches : 12, <b>Atelier</b> (hors standard) : 3" in texte.phrase
    assert "la plus basse : Non renseigné : 1" in texte.phrase
    # the table lists the bars top to bottom as the chart shows them, the labels as text
    premiere = texte.table.columns[0]
    assert dict(zip(texte.table[premiere], texte.table.iloc[:, 1])) == {
        "Aide aux démarches": 12, "Matériel": 30, "<b>Atelier</b> (hors standard)": 3, "Non renseigné": 1,
    }
    assert list(texte.table[premiere]) == ["Aide aux démarches", "Matériel", "<b>Atelier</b> (hors standard)", "Non renseigné"]
    # without a reversed axis, plotly draws the first bar at the bottom: the table starts from the top
    fig.update_yaxes(autorange=True)
    assert list(alternative(fig).table[premiere])[0] == "Non renseigné"


def test_plusieurs_series_et_nombres_a_la_francaise():
    fig = go.Figure(
        [go.Scatter(x=[0, 1, 2], y=[10, 50, 90.5], name="Territoire"), go.Scatter(x=[0, 1, 2], y=[5, 40, 1234.5], name="France")],
        layout={"title": {"text": "Couverture"}, "xaxis": {"title": {"text": "Distance (km)"}}},
    )
    texte = alternative(fig)
    assert texte.phrase == (
        "Couverture. 2 séries (Territoire, France) sur 3 valeurs de « Distance (km) » ; le détail est dans le tableau."
    )
    assert list(texte.table.columns) == ["Distance (km)", "Territoire", "France"]
    assert list(texte.table["Distance (km)"]) == ["0", "1", "2"]  # a 0 on the axis is a value, not a blank
    affiche = texte.table_texte()
    assert list(affiche["France"]) == ["5", "40", "1\u202f234,5"]


def test_graphique_vide():
    texte = alternative(go.Figure(layout={"title": {"text": "Rien"}}))
    assert texte.phrase == "Rien : le graphique ne contient aucune donnée." and texte.table.empty


def test_chaque_graphique_d_une_page_a_son_alternative():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["territoire"] = "epci:242900314"
    at.run()
    assert not at.exception
    graphiques = at.get("plotly_chart")
    assert len(graphiques) >= 2
    donnees = [e for e in at.expander if e.label == "Données du graphique (tableau)"]
    assert len(donnees) == len(graphiques)
    for bloc in donnees:
        assert len(bloc.table) == 1 or len(bloc.dataframe) == 1
    phrases = [c.value for c in at.caption if "valeur" in c.value or "séries" in c.value]
    assert len(phrases) >= len(graphiques)
