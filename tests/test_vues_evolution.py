"""Views of the « Évolution » page on two pictures with known changes (tests/photos_evolution.py): the map's
layers and symbols, escaping, the chart's counts against an independent count of the JSON rows, the
palettes, the headline cards and the changes table's filters; and the choice of pictures."""
from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter

import pandas as pd
import photos_evolution as pe
import pytest

from diagnostics import photos, territories
from diagnostics.evolution import comparer
from diagnostics.sources.fichier import charger_fichier
from diagnostics.sources.historique import Historique
from diagnostics.views import carte_evolution as ce
from diagnostics.views import daltonisme
from diagnostics.views import graphiques_evolution as ge
from diagnostics.views import tableaux_evolution as te


@pytest.fixture(scope="module")
def territoire():
    return territories.resolve(pe.TERRITOIRE)


@pytest.fixture(scope="module")
def evolution(territoire):
    avant, apres = pe.fichiers()
    la = photos.fichier_du_territoire(charger_fichier(avant, "avant.json"), territoire, "2023-05-17")
    lb = photos.fichier_du_territoire(charger_fichier(apres, "apres.json"), territoire, "2024-09-12")
    return comparer(territoire, la, lb)


@pytest.fixture(scope="module")
def avec_zones(evolution):
    # The fixture changes no white zone: two communes stand in, one named like an injection.
    return dataclasses.replace(
        evolution,
        communes_devenues_zones_blanches=pd.DataFrame(
            [{"code": "04001", "nom": "<b>Piège</b>", "population": 10, "distance_km": 12.5}]
        ),
        communes_sorties_des_zones_blanches=pd.DataFrame(
            [{"code": "04004", "nom": "Sortie", "population": 20, "distance_km": 11.0}]
        ),
    )


@pytest.fixture(scope="module")
def html_carte(avec_zones, territoire):
    communes, zones, contour = ce.fond_territoire(territoire)
    return ce.carte_evolution(avec_zones, communes, contour, communes_zones=zones, assets_base="/vendor").get_root().render()


def test_counts_match_the_rows(evolution):
    attendu = pe.attendus()
    assert (len(evolution.ouverts), len(evolution.fermes), len(evolution.deplaces), evolution.nb_modifies) == (
        attendu["ouverts"], attendu["fermes"], attendu["deplaces"], attendu["modifies"],
    )


def test_map_has_a_layer_per_kind_of_change(html_carte, evolution):
    for nom in (
        f"Lieux ouverts ({len(evolution.ouverts)})", f"Lieux fermés ({len(evolution.fermes)})",
        f"Lieux déplacés ({len(evolution.deplaces)})", "Communes devenues zones blanches (1)",
        "Communes sorties des zones blanches (1)", "Communes", "Contour du territoire",
    ):
        # The layers control holds the names as JSON strings (accents written \u00e9).
        assert json.dumps(nom) in html_carte, nom
    assert "Changements entre les deux photos" in html_carte and "Zones blanches (à plus de 10 km" in html_carte


def test_each_kind_of_change_has_its_own_shape_and_colour(html_carte):
    # Opened: filled circles; closed: a square outline; moved: a dashed line and a diamond.
    assert re.search(r"L\.circleMarker\(ll, \{radius: 7[^}]*fillColor: '" + ce.COULEUR_OUVERT, html_carte)
    assert f"border:3px solid {ce.COULEUR_FERME}" in html_carte
    assert re.search(r"color: '" + ce.COULEUR_DEPLACE + r"', weight: 2.5, dashArray: '6 4'", html_carte)
    assert "rotate(45deg)" in html_carte
    # White zones: dashed (became) against solid (left).
    assert re.search(r"color: '" + ce.COULEUR_DEVENUE + r"', weight: 3, dashArray", html_carte)
    assert re.search(r"color: '" + ce.COULEUR_SORTIE + r"', weight: 3, fill: true", html_carte)


def test_hostile_names_stay_text(html_carte, evolution):
    assert pe.MALVEILLANT in set(evolution.ouverts["nom"])
    assert "<img src=x" not in html_carte and "<b>Piège" not in html_carte
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_carte


def test_hostile_commune_names_stay_text(avec_zones, territoire):
    communes, _, contour = ce.fond_territoire(territoire)
    communes = communes.copy()
    communes.loc[communes["code"] == "04001", "nom"] = "<b>Piège</b>"
    html = ce.carte_evolution(avec_zones, communes, contour).get_root().render()
    assert "<b>Piège" not in html
    # Inside <script> the tooltip's own markup is written \u003c…: the name's brackets are entities.
    assert "&lt;b&gt;Piège&lt;/b&gt;\\u003c/strong\\u003e (04001) : devenue zone blanche" in html


def test_map_places_without_position_are_counted(evolution, territoire):
    sans = dataclasses.replace(evolution, ouverts=evolution.ouverts.assign(latitude=float("nan")))
    communes, zones, contour = ce.fond_territoire(territoire)
    preparee = ce.preparer_carte_evolution(sans, communes, contour, communes_zones=zones)
    assert any(f"{len(sans.ouverts)} lieux sans position" in section for section in preparee.legende)


def _par_dispositif(lignes: list[dict]) -> Counter:
    return Counter(
        d for ligne in lignes for d in (ligne.get("dispositif_programmes_nationaux") or "Aucun dispositif déclaré").split("|")
    )


def test_chart_counts_openings_and_closures_per_dispositif(evolution):
    avant, apres = pe.lignes_modifiees()
    ids_avant, ids_apres = {l["id"] for l in avant}, {l["id"] for l in apres}
    ouverts = _par_dispositif([l for l in apres if l["id"] not in ids_avant])
    fermes = _par_dispositif([l for l in avant if l["id"] not in ids_apres])
    fig = ge.figure_ouvertures(evolution, "dispositif")
    assert [trace.name for trace in fig.data] == ["Lieux ouverts", "Lieux fermés"]
    libelles = list(fig.layout.yaxis.ticktext)
    assert set(libelles) == set(ouverts) | set(fermes)
    assert dict(zip(libelles, fig.data[0].x)) == {d: ouverts.get(d, 0) for d in libelles}
    assert dict(zip(libelles, fig.data[1].x)) == {d: fermes.get(d, 0) for d in libelles}
    assert fig.layout.xaxis.title.text == "Nombre de lieux" and fig.layout.yaxis.title.text == "Dispositif"
    assert fig.layout.separators == ",\u202f" and fig.layout.barmode == "group"
    assert fig.data[1].marker.pattern.shape == "/", "closures are hatched, not told by colour alone"


def test_chart_by_typologie_and_empty(evolution):
    fig = ge.figure_ouvertures(evolution, "typologie")
    assert "Associations" in fig.layout.yaxis.ticktext
    rien = dataclasses.replace(evolution, par_dispositif=evolution.par_dispositif.assign(ouverts=0, fermes=0))
    vide = ge.figure_ouvertures(rien, "dispositif")
    assert list(vide.data[0].x) == [] and "Aucune ouverture" in vide.layout.annotations[0].text
    with pytest.raises(ValueError):
        ge.figure_ouvertures(evolution, "commune")


def test_palettes_are_distinguishable():
    assert daltonisme.palette_distinguable(ge.PALETTE)
    assert daltonisme.palette_distinguable(ce.PALETTE)


def test_headline_cards(evolution):
    cartes = {c.cle: c for c in te.cartes_indicateurs(evolution)}
    assert cartes["nb_lieux"].valeur == f"{evolution.avant['nb_lieux']} → {evolution.apres['nb_lieux']}"
    assert cartes["nb_lieux"].delta == "-1"
    assert cartes["zones_blanches_population"].inverse and cartes["zones_blanches_population"].delta == ""
    assert "17/05/2023" in cartes["nb_lieux"].aide
    assert te.comptes_changements(evolution) == {"Ouverts": 2, "Fermés": 3, "Déplacés": 1, "Modifiés": 1}


def test_changes_table_filters(evolution):
    table = te.table_changements(evolution)
    assert len(te.filtrer_changements(table)) == len(table)
    assert set(te.filtrer_changements(table, types=["ouvert"])["Identifiant"]) == {"test-nouveau-0", "test-nouveau-1"}
    assert len(te.filtrer_changements(table, dispositifs=["France Services"])) == 2
    assert len(te.filtrer_changements(table, familles=["contacts"])) == 1
    assert set(te.filtrer_changements(table, commune="ORANGE")["Commune"]) == {"Orange"}
    assert te.valeurs_liste(table, "Dispositifs") == ["Aidants Connect", "Conseillers numériques", "France Services"]


# --- choosing the pictures ----------------------------------------------------------------------

@pytest.fixture
def historique(tmp_path, territoire):
    h = Historique(tmp_path / "historique")
    avant, apres = pe.fichiers()
    h.ajouter_fichier(avant, "avant.json", territoire.id, "2023-05-17", 646)
    h.ajouter_fichier(apres, "apres.json", territoire.id, "2024-09-12", 645)
    h.ajouter_telechargement(b"[]", {"source": "dataspace", "territoire": territoire.id,
                                     "telecharge_le": "2024-10-01T08:00:00Z", "lignes": 0})
    return h


def test_choices_list_dataspace_pictures_only_with_a_token(historique, territoire):
    sans = photos.choix_disponibles(territoire.id, avec_dataspace=False, historique=historique)
    avec = photos.choix_disponibles(territoire.id, avec_dataspace=True, historique=historique)
    assert [c.source for c in sans] == ["embarque", "fichier", "fichier", "api", "fichier"]
    assert [c.source for c in avec] == ["embarque", "fichier", "fichier", "dataspace", "api", "fichier"]
    assert [c.ref for c in sans][-2:] == [photos.API, photos.FICHIER] and not sans[-1].partageable
    # Oldest picture before, newest after (the dataspace one is not listed without a token).
    assert photos.defauts(sans) == (sans[1].ref, sans[2].ref)
    assert photos.defauts(avec) == (avec[1].ref, avec[3].ref)
    assert photos.defauts(photos.choix_disponibles("dep:29", avec_dataspace=False, historique=historique)) == ("embarque", "embarque")


def test_refs_from_the_url(historique, territoire):
    choix = photos.choix_disponibles(territoire.id, avec_dataspace=False, historique=historique)
    complet = choix[1].ref
    assert photos.resoudre(complet, choix, territoire.id, historique) == complet
    assert photos.resoudre("historique:2023-05-17", choix, territoire.id, historique) == complet
    assert photos.resoudre("embarque", choix, territoire.id, historique) == "embarque"
    for mauvais in ("fichier", "historique:2099-01-01", "<script>", "", None):
        assert photos.resoudre(mauvais, choix, territoire.id, historique) is None
    dataspace = next(p.ref for p in historique.photos(territoire.id) if p.source == "dataspace")
    assert photos.resoudre(dataspace, choix, territoire.id, historique) is None, "no token: not listed, not reachable"


def test_a_history_picture_reads_back(historique, territoire):
    ref = photos.choix_disponibles(territoire.id, avec_dataspace=False, historique=historique)[2].ref
    lieux = photos.charger(ref, territoire, historique=historique)
    assert lieux.source.date == "2024-09-12" and pe.MALVEILLANT in set(lieux.lieux["nom"])
    with pytest.raises(photos.SourceIndisponible):
        photos.charger("historique:2001-01-01", territoire, historique=historique)
