"""Column mapping: suggestions from French, v0 and misspelt headers, JSON round trip (mednum-cli shape),
application to a raw table, and the header found below title rows."""
import json

import pandas as pd

from diagnostics.standard.correspondance import Correspondance, choisir_entete, suggerer


def test_french_spreadsheet_headers_are_recognised():
    entetes = ["Nom de la structure", "Adresse", "Code postal", "Ville", "Téléphone", "Horaires d'ouverture", "Mail",
               "Adresse mail de la structure", "Site Web de la structure", "Remarques internes"]
    c = suggerer(entetes).colonnes
    assert c["nom"] == "Nom de la structure"
    assert c["adresse"] == "Adresse"
    assert c["code_postal"] == "Code postal"
    assert c["commune"] == "Ville"
    assert c["telephone"] == "Téléphone"
    assert c["horaires"] == "Horaires d'ouverture"
    assert c["courriels"] == "Mail"  # the exact synonym wins over the keyword match "Adresse mail…"
    assert c["site_web"] == "Site Web de la structure"
    assert "Remarques internes" not in c.values()


def test_v0_names_and_real_typos():
    c = suggerer(["conditions_access", "public_accueillis", "courriel", "labels_nationaux", "telehpone"]).colonnes
    assert c["conditions_acces"] == "conditions_access"
    assert c["publics_accueillis"] == "public_accueillis"
    assert c["courriels"] == "courriel"
    assert c["labels_nationaux"] == "labels_nationaux"
    assert c["telephone"] == "telehpone"
    assert suggerer(["telehpone"]).confiance["telephone"] == "approchant"


def test_one_header_per_target_the_most_certain():
    c = suggerer(["Commune de résidence", "commune"])
    assert c.colonnes["commune"] == "commune" and c.confiance["commune"] == "exact"


def test_json_round_trip_and_application():
    brut = pd.DataFrame({"Structure": ["A", "B"], "CP": ["29200", "1000"], "Autre": ["x", "y"]})
    c = Correspondance(colonnes={"nom": "Structure", "code_postal": "CP"})
    relue = Correspondance.from_json(c.to_json())
    assert relue.colonnes == c.colonnes
    assert json.loads(c.to_json())["nom"] == {"colonne": "Structure"}
    table, notes = relue.appliquer(brut)
    assert list(table.columns) == ["nom", "code_postal"] and len(table) == 2
    assert table["code_postal"].tolist() == ["29200", "1000"]
    assert any("Autre" in n for n in notes)


def test_mednum_cli_configuration_with_value_rules():
    config = {
        "nom": {"colonne": "Nom de votre structure"},
        "courriel": {"colonne": "Adresse mail de la structure"},
        "services": [
            {"colonnes": ["Qu'apportez vous ?"], "termes": ["Prendre_en_main_un_smartphone"], "cible": "Prendre en main un smartphone ou une tablette"},
            {"colonnes": ["Qu'apportez vous ?"], "termes": ["Accéder_à_une_connexion"], "cible": "Accéder à une connexion internet"},
        ],
        "horaires": {"semaine": "Horaires"},
    }
    c = Correspondance.from_json(json.dumps(config))
    assert c.colonnes == {"nom": "Nom de votre structure", "courriels": "Adresse mail de la structure"}
    brut = pd.DataFrame({
        "Nom de votre structure": ["Médiathèque", "Mairie"],
        "Adresse mail de la structure": ["a@b.fr", ""],
        "Qu'apportez vous ?": ["Prendre_en_main_un_smartphone,Accéder_à_une_connexion", "rien"],
    })
    table, _ = c.appliquer(brut)
    assert table["services"].tolist() == [
        "Prendre en main un smartphone ou une tablette|Accéder à une connexion internet", ""]


def test_missing_column_of_a_saved_mapping_is_reported():
    table, notes = Correspondance(colonnes={"nom": "Nom"}).appliquer(pd.DataFrame({"Structure": ["A"]}))
    assert "nom" not in table and any("« Nom »" in n for n in notes)
    assert len(table) == 1


def test_header_below_title_rows():
    brut = pd.DataFrame(
        [["Nom de la structure", "Code postal", "Ville", "Téléphone"], ["Médiathèque", "29200", "Brest", "0298000000"]],
        columns=["Lieux de médiation numérique 2025", "colonne_2", "colonne_3", "colonne_4"],
    )
    table, deplacees = choisir_entete(brut)
    assert deplacees == 1
    assert list(table.columns) == ["Nom de la structure", "Code postal", "Ville", "Téléphone"] and len(table) == 1
    same, zero = choisir_entete(table)
    assert zero == 0 and same is table
