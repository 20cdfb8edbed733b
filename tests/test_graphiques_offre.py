"""Figures, tables and files of the offer, quality and places pages, on hand-made places whose answer
is checked by hand; data text never reaches a figure as HTML."""
from __future__ import annotations

import csv
import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from diagnostics import territories
from diagnostics.indicators import horaires, offre, qualite
from diagnostics.standard.fields import ENUMS, field_names, to_places_frame
from diagnostics.views import graphiques_offre as g
from diagnostics.views import fichiers

XSS = "<img src=x onerror=alert(1)>"


def _places(rows: list[dict]) -> pd.DataFrame:
    return to_places_frame(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    """Four places of Brest and Quimper: two offer administrative help, one is free and Saturday-open."""
    return _places([
        {"id": "a", "nom": "Médiathèque", "commune": "Brest", "code_postal": "29200", "code_insee": "29019",
         "code_commune_2026": "29019", "adresse": "1 rue de Siam", "latitude": 48.39, "longitude": -4.49,
         "services": "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
         "frais_a_charge": "Gratuit", "publics_specifiquement_adresses": "Seniors", "typologie": f"BIB|{XSS}",
         "horaires": "Mo-Sa 09:00-12:00", "site_web": "javascript:alert(1)|https://mediatheque.fr",
         "date_maj": "2026-01-15", "source": "dora", "telephone": "+33298000000"},
        {"id": "b", "nom": "Mairie", "commune": "Brest", "code_postal": "29200", "code_insee": "29019",
         "code_commune_2026": "29019", "adresse": "2 place de la Liberté", "latitude": 48.391, "longitude": -4.486,
         "services": "Aide aux démarches administratives", "frais_a_charge": "Payant",
         "horaires": "Mo-Fr 08:00-12:00,13:00-20:00", "site_web": "ftp://mairie.fr", "date_maj": "1970-01-01",
         "source": "conseiller-numerique"},
        {"id": "c", "nom": "Espace numérique", "commune": "Quimper", "code_postal": "29000", "code_insee": "29232",
         "code_commune_2026": "29232", "adresse": "3 rue Kéréon", "latitude": 47.996, "longitude": -4.102,
         "services": "Accès internet et matériel informatique", "horaires": "Mo 25:00-26:00",
         "dispositif_programmes_nationaux": "France Services", "date_maj": "2025-01-10", "source": "Hinaura"},
        {"id": "d", "nom": "Sans commune", "adresse": "quelque part", "date_maj": "2026-02-01"},
    ])


def _json(fig) -> str:
    return fig.to_json()


# --- offer ---------------------------------------------------------------------------------------

def test_profile_bars_follow_the_standard_then_outside_values_then_missing(places):
    resume = offre.resume_offre(places)
    fig = g.figure_profil(resume["profils"]["services"])
    bar = fig.data[0]
    labels = list(fig.layout.yaxis.ticktext)
    assert labels == [*ENUMS["services"], offre.NON_RENSEIGNE]
    assert list(bar.x) == [2, 1, 0, 0, 0, 0, 0, 1, 0, 1]  # counted by hand from the four places
    assert bar.text[0] == "2 (50\u202f%)" and bar.text[-1] == "1 (25\u202f%)"
    assert fig.layout.yaxis.autorange == "reversed"  # first value of the standard on top
    assert fig.layout.title.text == "Services proposés"


def test_profile_escapes_data_and_truncates_with_a_subtitle(places):
    typologie = offre.resume_offre(places)["profils"]["typologie"]
    fig = g.figure_profil(typologie)
    labels = list(fig.layout.yaxis.ticktext)
    assert "&lt;img src=x onerror=alert(1)&gt; (hors standard)" in labels
    assert "<img" not in _json(fig)
    short = g.figure_profil(typologie, max_valeurs=1)
    assert len(short.data[0].x) == 2  # one value and "Non renseigné"
    assert short.layout.title.subtitle.text == "Valeurs moins fréquentes non affichées : 1"


def test_white_zones_per_service_figure_and_table():
    zones = {"seuil_km": 10.0, "services": [
        {"service": "Aide aux démarches administratives", "nb_lieux": 3, "nb_lieux_sans_position": 1,
         "population_au_dela": 1200, "part_population_au_dela": 0.25, "nb_communes_au_dela": 4},
        {"service": XSS, "nb_lieux": 0, "nb_lieux_sans_position": 0, "population_au_dela": 4800,
         "part_population_au_dela": None, "nb_communes_au_dela": 9},
    ]}
    fig = g.figure_zones_blanches_services(zones)
    assert fig.data[0].x[0] == 25.0 and math.isnan(fig.data[0].x[1])
    assert fig.data[0].text[0] == "25\u202f% · 1\u202f200 hab."
    assert "<img" not in _json(fig)
    table = g.table_zones_blanches_services(zones)
    assert table["Part de la population au-delà (%)"].tolist()[0] == 25.0
    assert pd.isna(table["Part de la population au-delà (%)"].tolist()[1])
    assert table["dont sans position"].tolist() == [1, 0]


def test_hours_classes_counted_by_hand():
    heures = pd.Series([0, 5, 10, 19.9, 20, 45, 60, np.nan])
    table = g.repartition_heures(heures)
    assert table["classe"].tolist() == ["Aucune ouverture", "Moins de 10 h", "10 à 20 h", "20 à 30 h", "30 à 40 h",
                                        "40 à 50 h", "50 h et plus"]
    assert table["nombre"].tolist() == [1, 1, 2, 1, 0, 1, 1]
    fig = g.figure_heures(heures)
    assert list(fig.data[0].y) == [1, 1, 2, 1, 0, 1, 1]
    assert "7 lieux aux horaires exploitables" in fig.layout.title.subtitle.text


def test_opening_shares_from_the_hours_summary(places):
    resume = horaires.resume_horaires(places)
    fig = g.figure_ouvertures(resume)
    # Readable: a (Mo-Sa mornings) and b (weekdays until 20:00); c's 25:00 is unreadable, d has none.
    assert resume["exploitables"] == 2
    assert list(fig.data[0].x) == [50.0, 0.0, 50.0, 50.0]
    assert fig.data[0].text[0] == "50\u202f% (1 lieu)"
    empty = g.figure_ouvertures({**resume, "exploitables": 0, "part_ouverts_samedi": None, "part_ouverts_dimanche": None,
                                 "part_ouverts_week_end": None, "part_ouverts_soir": None})
    assert list(empty.data[0].text) == ["—"] * 4


# --- quality -------------------------------------------------------------------------------------

def test_freshness_bar_has_the_four_classes_in_order_and_colour():
    classes = [{"classe": c, "nombre": n, "part": n / 10} for c, n in zip(qualite.CLASSES_FRAICHEUR, (1, 2, 3, 4))]
    fig = g.figure_fraicheur(classes)
    assert [t.x[0] for t in fig.data] == [1, 2, 3, 4]
    assert [t.marker.color for t in fig.data] == [g.COULEURS_FRAICHEUR[c] for c in qualite.CLASSES_FRAICHEUR]
    assert fig.data[0].name == "à jour (moins de 6 mois)"
    assert fig.data[3].name == "à actualiser (18 mois et plus, ou date absente)"
    assert fig.layout.barmode == "stack"


def test_completeness_bands_and_threshold_colours():
    scores = pd.Series([0, 9.9, 10, 59.9, 60, 100])
    table = g.repartition_completude(scores)
    assert table["nombre"].tolist() == [2, 1, 0, 0, 0, 1, 1, 0, 0, 1]
    fig = g.figure_completude(scores, 60)
    colours = list(fig.data[0].marker.color)
    assert colours[:6] == [g.ROUGE] * 6 and colours[6:] == [g.BLEU] * 4
    assert fig.layout.shapes[0].x0 == 60


def test_criteria_chart_shares(places):
    criteres = qualite.criteres_remplis(places)
    fig = g.figure_criteres(criteres)
    shares = dict(zip(fig.layout.yaxis.ticktext, fig.data[0].x))
    assert shares["nom"] == 100.0
    assert shares["téléphone"] == 25.0  # only place a has one
    assert shares["date de mise à jour"] == 75.0  # 1970 is a placeholder


def test_duplicate_table_names_both_places():
    frame = _places([
        {"id": "x1", "nom": "Médiathèque de Siam", "commune": "Brest", "code_commune_2026": "29019",
         "adresse": "1 rue de Siam", "latitude": 48.39, "longitude": -4.49, "source": "dora"},
        {"id": "x2", "nom": "Mediatheque de Siam", "commune": "Brest", "code_commune_2026": "29019",
         "adresse": "1 rue de Siam", "latitude": 48.3901, "longitude": -4.4901, "source": "Hinaura"},
        {"id": "x3", "nom": "Mairie", "commune": "Brest", "code_commune_2026": "29019", "adresse": "place"},
    ])
    frame.index = [10, 20, 30]
    paires = qualite.doublons(frame)
    table = g.table_doublons(frame, paires)
    assert len(table) == 1
    row = table.iloc[0]
    assert {row["Lieu A"], row["Lieu B"]} == {"Médiathèque de Siam", "Mediatheque de Siam"}
    assert {row["Source A"], row["Source B"]} == {"dora", "Hinaura"}
    assert row["Commune A"] == row["Commune B"] == "Brest"
    assert 80 <= row["Ressemblance (%)"] <= 100 and row["Distance (m)"] < 20 and row["Raisons"]
    assert g.table_doublons(frame, None).empty and list(g.table_doublons(frame, None).columns) == list(table.columns)


def test_todo_filters_counts_and_table(places):
    todo = qualite.a_faire(places, paires_doublons=pd.DataFrame())
    comptes = g.comptes_problemes(todo)
    assert comptes["horaires_illisibles"] == 1 and comptes["date_absente"] == 1
    only_hours = g.filtrer_a_faire(todo, codes=["horaires_illisibles"])
    assert only_hours["id"].tolist() == ["c"]
    assert set(g.filtrer_a_faire(todo, codes=["horaires_illisibles", "date_absente"])["id"]) == {"b", "c"}
    brest = g.filtrer_a_faire(todo, code_commune="29019")
    assert set(brest["id"]) <= {"a", "b"} and "b" in set(brest["id"])
    dora = g.filtrer_a_faire(todo, ou_corriger=["DORA (dora.inclusion.gouv.fr)"])
    assert set(dora["id"]) <= {"a"}
    assert len(g.filtrer_a_faire(todo)) == len(todo)
    table = g.table_a_faire(only_hours, places)
    assert table.loc[0, "Source"] == "Hinaura" and "Hinaura" in table.loc[0, "Où corriger"]
    assert "Mo 25:00-26:00" in table.loc[0, "Problèmes"]
    assert g.libelle_probleme("horaires_illisibles") == "Horaires illisibles"
    assert g.libelle_probleme("code_inconnu") == "code_inconnu"


def test_positions_contacts_and_unreadable_hours_tables(places):
    resume = qualite.resume_qualite(places, paires_doublons=pd.DataFrame())
    table = g.table_positions_contacts(resume)
    counts = dict(zip(table["Problème"], table["Lieux"]))
    assert counts["Coordonnées manquantes (lieu absent de la carte)"] == 1  # place d
    assert len(table) == 3 + len(resume["contacts_invalides"])
    illisibles = g.table_horaires_illisibles(horaires.resume_horaires(places))
    assert illisibles["Horaires saisis"].tolist() == ["Mo 25:00-26:00"] and illisibles["Lieux"].tolist() == [1]


# --- places table --------------------------------------------------------------------------------

def test_filters_any_value_within_a_field_all_fields_together(places):
    mask = g.filtrer_lieux(places, {"services": ["Aide aux démarches administratives"]})
    assert mask.tolist() == [True, True, False, False]
    both = g.filtrer_lieux(places, {"services": ["Aide aux démarches administratives",
                                                "Accès internet et matériel informatique"]})
    assert both.tolist() == [True, True, True, False]
    free = g.filtrer_lieux(places, {"services": ["Aide aux démarches administratives"], "frais_a_charge": ["Gratuit"]})
    assert free.tolist() == [True, False, False, False]
    assert g.filtrer_lieux(places, {"services": []}).all()
    ouverts = pd.Series(pd.array([True, None, False, True], dtype="boolean"), index=places.index)
    assert g.filtrer_lieux(places, ouverts=ouverts).tolist() == [True, False, False, True]
    assert g.filtrer_lieux(places, code_commune="29232").tolist() == [False, False, True, False]
    assert g.filtrer_lieux(places, code_commune="").tolist() == [False, False, False, True]


def test_filter_options_in_standard_order_with_counts(places):
    options = g.options_filtre(places, "services")
    assert list(options) == ["Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien",
                             "Accès internet et matériel informatique"]
    assert options["Aide aux démarches administratives"] == "Aide aux démarches administratives (2)"
    communes = g.options_communes(places)
    assert communes == {"29019": "Brest (29019)", "29232": "Quimper (29232)", "": "Commune inconnue (1 lieu)"}


def test_places_table_links_only_web_addresses(places):
    table = g.table_lieux(places)
    assert table.loc[0, "Site web"] == "https://mediatheque.fr"  # javascript: skipped, the next URL kept
    assert pd.isna(table.loc[1, "Site web"])  # ftp: no link
    assert table.loc[0, "Services"] == "Aide aux démarches administratives · Maîtrise des outils numériques du quotidien"
    assert table.loc[0, "Adresse"] == "1 rue de Siam, 29200"
    assert table.loc[1, "Mise à jour"] == "1970-01-01"
    assert len(table) == len(places)


def test_communes_beyond_a_service_in_an_epci(places):
    epci = territories.resolve("epci:242900314")  # Brest métropole, 8 communes
    nobody = g.communes_sans_service(epci, places, "services", "Parentalité et éducation avec le numérique", 10)
    assert len(nobody) == len(epci.codes_communes)
    assert nobody["Distance au plus proche (km)"].isna().all()
    assert nobody["Population"].is_monotonic_decreasing and nobody.iloc[0]["Commune"] == "Brest"
    helped = g.communes_sans_service(epci, places, "services", "Aide aux démarches administratives", 10)
    assert "29019" not in set(helped["Code INSEE"])  # two places in Brest itself
    assert (helped["Distance au plus proche (km)"] > 10).all()


# --- files ---------------------------------------------------------------------------------------

@given(st.text(max_size=60))
def test_file_names_are_always_safe(texte):
    nom = fichiers.nom_fichier("lieux", texte, extension="csv")
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.csv", nom)


def test_file_name_keeps_letters_without_accents():
    assert fichiers.nom_fichier("lieux", "Côtes-d'Armor / <x>", extension="csv") == "lieux_Cotes-d-Armor-x.csv"
    assert fichiers.nom_fichier("", "!!", extension="xlsx") == "export.xlsx"


def test_standard_csv_is_the_standard_unaltered(places):
    frame = places.copy()
    frame.loc[0, "nom"] = "=HYPERLINK(\"http://x\")"
    rows = list(csv.reader(io.StringIO(fichiers.csv_standard(frame).decode("utf-8"))))
    assert rows[0] == list(field_names())
    assert rows[1][field_names().index("nom")] == "=HYPERLINK(\"http://x\")"
    assert rows[1][field_names().index("telephone")] == "+33298000000"
    assert len(rows) == 1 + len(frame)


def test_places_xlsx_and_geojson(places):
    classeur = load_workbook(io.BytesIO(fichiers.xlsx_lieux(places)))
    onglet = classeur.active
    assert [c.value for c in onglet[1]][:3] == ["id", "pivot", "nom"]
    assert onglet.max_row == 1 + len(places)
    geo = json.loads(fichiers.geojson_lieux(places))
    assert len(geo["features"]) == len(places)
    assert geo["features"][0]["geometry"]["coordinates"] == [-4.49, 48.39]
    assert geo["features"][3]["geometry"] is None  # no coordinates: kept, without a point


def test_spreadsheet_table_files_never_hold_formulas():
    table = pd.DataFrame({"Nom": ["=1+1", "@SUM(A1)", "Mairie"], "Lieux": [3, 4, 5],
                          "Part": [0.5, np.nan, np.inf]})
    texte = fichiers.csv_tableau(table).decode("utf-8")
    assert texte.startswith("\ufeff") and "'=1+1" in texte and "'@SUM(A1)" in texte
    onglet = load_workbook(io.BytesIO(fichiers.xlsx_tableau(table, "à faire"))).active
    assert onglet.title == "à faire"
    assert onglet["A2"].value == "=1+1" and onglet["A2"].data_type == "s"
    assert onglet["B2"].value == 3 and onglet["C2"].value == 0.5
    assert onglet["C3"].value is None and onglet["C4"].value is None  # NaN and infinity left empty


def test_no_figure_carries_raw_html_from_data():
    profil = {"titre": XSS, "valeurs": [{"valeur": XSS, "libelle": XSS, "nombre": 1, "part": 1.0, "hors_standard": True}],
              "non_renseigne": 0, "part_non_renseigne": 0.0}
    criteres = pd.DataFrame({XSS: [True, False]})
    fraicheur = [{"classe": XSS, "nombre": 1, "part": 1.0}]
    for fig in (g.figure_profil(profil), g.figure_criteres(criteres), g.figure_fraicheur(fraicheur)):
        texte = _json(fig)
        assert "<img" not in texte and "&lt;img" in texte


def test_tables_display_french_numbers_but_keep_numbers():
    table = pd.DataFrame({"Commune": ["Brest", "Plouguin"], "Population": [142346, 2100],
                          "Distance (km)": [12.345, np.nan]})
    styled = g.format_francais(table, {"Population": 0, "Distance (km)": 1, "absente": 0})
    texte = styled.to_string()
    assert "142\u202f346" in texte and "12,3" in texte and "—" in texte
    assert styled.data["Population"].tolist() == [142346, 2100]  # still sortable as numbers
