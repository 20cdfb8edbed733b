"""Comparing a file with national places: same id, same place under another id, new places, places
missing from the file, field-by-field differences and duplicates inside the file (hand-made Brest frames)."""
import pandas as pd

from diagnostics.standard.fields import CODE_COMMUNE, to_places_frame
from diagnostics.standard.rapprochement import AJOUTE, MODIFIE, rapprocher


def _frame(rows):
    frame = pd.DataFrame(rows)
    frame["commune"], frame["code_postal"], frame["code_insee"] = "Brest", "29200", "29019"
    frame[CODE_COMMUNE] = "29019"
    return to_places_frame(frame)


FICHIER = _frame([
    {"id": "a1", "nom": "Médiathèque des Capucins", "adresse": "25 rue de Pontaniou", "telephone": "+33298000001",
     "latitude": 48.3835, "longitude": -4.5020, "services": "Aide aux démarches administratives|Accès internet et matériel informatique"},
    {"id": "local-7", "nom": "Centre social Kerangoff", "adresse": "8 rue Montaigne", "latitude": 48.3900, "longitude": -4.4700},
    {"id": "neuf", "nom": "Repair café du port", "adresse": "1 quai Malbert", "latitude": 48.3800, "longitude": -4.4900},
    {"id": "neuf-bis", "nom": "Repair café du port", "adresse": "1 quai Malbert", "latitude": 48.3800, "longitude": -4.4900},
])
NATIONAL = _frame([
    {"id": "a1", "nom": "Médiathèque des Capucins", "adresse": "25 rue de Pontaniou", "telephone": "+33298000002",
     "latitude": 48.3835, "longitude": -4.5020, "services": "Accès internet et matériel informatique|Aide aux démarches administratives"},
    {"id": "cn-42", "nom": "Centre social de Kerangoff", "adresse": "8 rue Montaigne", "latitude": 48.3901, "longitude": -4.4701,
     "site_web": "https://kerangoff.fr"},
    {"id": "cn-43", "nom": "France Services Brest Bellevue", "adresse": "2 place Napoléon III", "latitude": 48.40, "longitude": -4.50},
])


def test_matching_and_lists():
    r = rapprocher(FICHIER, NATIONAL)
    assert dict(zip(r.correspondances["id_fichier"], r.correspondances["id_national"])) == {"a1": "a1", "local-7": "cn-42"}
    # A file duplicate pair: one of the two matches nothing nationally, both are new.
    assert sorted(r.nouveaux["id"]) == ["neuf", "neuf-bis"]
    assert r.absents["id"].tolist() == ["cn-43"]
    assert r.doublons[["ligne_a", "ligne_b"]].values.tolist() == [[3, 4]]
    assert r.resume()[2].startswith("1 lieux des données nationales absents")


def test_field_by_field_differences():
    r = rapprocher(FICHIER, NATIONAL)
    d = r.differences.set_index(["id_fichier", "champ"])
    assert d.loc[("a1", "telephone"), "valeur_fichier"] == "+33298000001"
    assert d.loc[("a1", "telephone"), "nature"] == MODIFIE
    assert ("a1", "services") not in d.index  # same values in another order: no difference
    assert d.loc[("local-7", "nom"), "valeur_nationale"] == "Centre social de Kerangoff"
    assert d.loc[("local-7", "site_web"), "nature"] != AJOUTE  # filled nationally, empty in the file
    assert ("local-7", "position (latitude, longitude)") not in d.index  # 14 m apart: same spot


def test_empty_inputs():
    r = rapprocher(FICHIER.iloc[:0], NATIONAL)
    assert len(r.nouveaux) == 0 and len(r.absents) == 3
    r = rapprocher(FICHIER, NATIONAL.iloc[:0])
    assert len(r.nouveaux) == 4 and len(r.correspondances) == 0
