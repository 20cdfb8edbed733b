"""The local map's colour correction: readable text and markers chosen automatically, and said."""
import pytest

from diagnostics.carte_locale import contraste, theme_lisible
from diagnostics.carte_locale.couleurs import BLANC, FOND_CARTE, SOMBRE, assombrir, texte_lisible


@pytest.mark.parametrize("fond", ["#000000", "#ffffff", "#777777", "#ffd400", "#1f4e8c", "#e69f00", "#00ff00", "#0000ff"])
def test_le_texte_choisi_se_lit_sur_tout_fond(fond):
    assert contraste(texte_lisible(fond), fond) >= 4.5


@pytest.mark.parametrize("couleur", ["#ffd400", "#ffe08a", "#00ff00", "#e69f00", "#ff8080", "#aaaaaa"])
def test_assombrir_atteint_le_seuil_au_plus_pres_sans_changer_la_teinte(couleur):
    for fond, seuil in ((BLANC, 4.5), (FOND_CARTE, 3.0)):
        resultat = assombrir(couleur, fond, seuil)
        assert contraste(resultat, fond) >= seuil
        # one 8-bit step lighter would fail: the smallest darkening
        canaux = [int(resultat[i : i + 2], 16) for i in (1, 3, 5)]
        plus_clair = "#" + "".join(f"{min(255, c + 2):02x}" for c in canaux)
        assert contraste(plus_clair, fond) < seuil + 0.15
        # same hue: the channels keep their proportions (mixed with black)
        origine = [int(couleur[i : i + 2], 16) for i in (1, 3, 5)]
        rapports = [c / o for c, o in zip(canaux, origine) if o > 40]
        assert max(rapports) - min(rapports) < 0.05


def test_couleurs_lisibles_inchangees():
    theme = theme_lisible("#1f4e8c", "#b3400a")
    assert (theme.couleur, theme.sur_couleur, theme.couleur_texte, theme.secondaire) == ("#1f4e8c", BLANC, "#1f4e8c", "#b3400a")
    assert theme.corrections == []


def test_couleurs_claires_corrigees_et_dites():
    theme = theme_lisible("#ffd400", "#ffe08a")
    assert theme.couleur == "#ffd400" and theme.sur_couleur == SOMBRE
    assert contraste(theme.couleur_texte, BLANC) >= 4.5 and contraste(theme.secondaire, FOND_CARTE) >= 3
    assert contraste(theme.sur_secondaire, theme.secondaire) >= 4.5
    assert len(theme.corrections) == 3
    assert theme.couleur_texte in theme.corrections[1] and theme.secondaire in theme.corrections[2]
    assert "écrits en noir" in theme.corrections[0]
