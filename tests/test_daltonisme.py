"""Colour-vision check of the map palettes: CIEDE2000 against Sharma's published pairs, the Machado 2009
deuteranopia simulation, and the project's palettes (dispositifs, fragility classes, quantiles)."""
import pytest

from diagnostics.indicators import fragilite
from diagnostics.views import carte, carte_lieux, daltonisme as d

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data and mathematical observations", table 1: pairs 1, 7, 17, 25, 34.
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]
# The national fragility palette (Mon Inclusion Numérique), before its last class was darkened here.
NATIONALE = ("#4A6BAE", "#5F8EC7", "#AAC4E6", "#E6DEEE", "#EBB5BD", "#DD7480", "#D95C5E")


@pytest.mark.parametrize(("lab1", "lab2", "attendu"), SHARMA)
def test_ciede2000_sur_les_paires_publiees(lab1, lab2, attendu):
    assert d.ciede2000(lab1, lab2) == pytest.approx(attendu, abs=1e-4)
    assert d.ciede2000(lab2, lab1) == pytest.approx(attendu, abs=1e-4)


def test_lab_des_references():
    assert d.lab("#ffffff") == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    assert d.lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)
    # sRGB red: L* 53.24, a* 80.09, b* 67.20 (the usual D65 reference values)
    assert d.lab("#ff0000") == pytest.approx((53.24, 80.09, 67.20), abs=0.05)


def test_deuteranopie_garde_les_gris_et_confond_rouge_et_vert():
    for gris in ("#000000", "#777777", "#ffffff"):
        assert d.simuler_deuteranopie(gris) == gris
    # the pair that defines the deficiency: far apart in normal vision, close once simulated
    assert d.ecart("#d62728", "#2ca02c") > 60 > 10 > d.ecart("#d62728", "#2ca02c", deuteranopie=True)
    # blue and orange (Okabe–Ito) stay apart
    assert d.ecart("#0072B2", "#E69F00", deuteranopie=True) > 40


def test_palette_des_dispositifs_distinguable():
    couleurs = tuple(c for _, c in carte_lieux.DISPOSITIFS) + (carte_lieux.AUTRE[1],)
    ecart, a, b = d.ecart_minimal(couleurs)
    assert d.palette_distinguable(couleurs), (ecart, a, b)


def test_echelle_de_fragilite_distinguable():
    assert d.palette_distinguable(fragilite.COULEURS_CLASSES, voisines=True), d.ecart_minimal(
        fragilite.COULEURS_CLASSES, voisines=True
    )
    # the no-data grey is not taken for any class
    assert min(
        d.ecart(fragilite.COULEUR_SANS_DONNEE, c, deuteranopie=True) for c in fragilite.COULEURS_CLASSES
    ) >= d.SEUIL_CLASSES_VOISINES
    # the national scale fails on its two strongest classes: the reason for the darker last class
    assert not d.palette_distinguable(NATIONALE, voisines=True)
    assert d.ecart_minimal(NATIONALE, voisines=True)[1:] == ("#DD7480", "#D95C5E")
    assert fragilite.COULEURS_CLASSES[:6] == NATIONALE[:6]


def test_quantiles_distinguables():
    assert d.palette_distinguable(carte.COULEURS_QUANTILES, voisines=True)
    assert min(d.ecart(carte.COULEUR_MANQUANTE, c, deuteranopie=True) for c in carte.COULEURS_QUANTILES) >= (
        d.SEUIL_CLASSES_VOISINES
    )
