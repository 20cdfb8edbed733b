"""The Synthèse paragraph (views/texte.py): distances said as a person would say them, never "0,0 km"."""
import pytest

from diagnostics import territories
from diagnostics.diagnostic import diagnostic
from diagnostics.places import charger_lieux
from diagnostics.views.texte import distance_parlee, phrase_distance_mediane, synthese


@pytest.mark.parametrize(
    ("distance", "attendu"),
    [(0.0067, None), (0.099, None), (0.1, "100\u202fm"), (0.35, "400\u202fm"), (0.9, "900\u202fm"),
     (0.91, "1\u202f000\u202fm"), (1.0, "1,0\u202fkm"), (3.6183, "3,6\u202fkm")],
)
def test_median_distance_sentence(distance, attendu):
    phrase = phrase_distance_mediane(distance)
    if attendu is None:
        assert phrase == "Au moins la moitié des habitants ont un lieu d'inclusion numérique dans leur commune."
    else:
        assert phrase == f"La moitié des habitants vit à moins de {attendu} du lieu le plus proche."
        assert distance_parlee(distance) == attendu


def test_nord_synthesis_never_says_zero_km():
    t = territories.resolve("dep:59")
    resultat = charger_lieux(t, "embarque")
    diag = diagnostic(t, resultat.lieux, resultat.source, parties=())
    assert diag["distance_mediane_km"] < 0.1  # the Nord's median commune has a place at its centre
    texte = synthese(diag)
    assert "0,0" not in texte and "dans leur commune" in texte


def test_table_cells_never_read_zero_km():
    from diagnostics.views.texte import distance_cellule

    assert distance_cellule(0.0067) == "moins de 100\u202fm"
    assert distance_cellule(0.0) == "moins de 100\u202fm"
    assert distance_cellule(0.1) == "0,1\u202fkm" and distance_cellule(0.36) == "0,4\u202fkm"
    assert distance_cellule(12.15) == "12,2\u202fkm"
    assert distance_cellule(None) == "—"
