"""Free-text French opening hours → OSM opening_hours, only when unambiguous; the output always validates."""
import opening_hours
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.standard.horaires_texte import convertir


@pytest.mark.parametrize(
    ("texte", "osm"),
    [
        ("du lundi au vendredi de 9h à 12h et de 14h à 17h", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("Lundi, mardi et jeudi : 9h-12h / 14h-17h ; samedi 9h30-12h", "Mo,Tu,Th 09:00-12:00,14:00-17:00; Sa 09:30-12:00"),
        ("le samedi matin de 9h30 à 12h", "Sa 09:30-12:00"),
        ("du lundi au samedi sauf le mercredi de 9h à 18h", "Mo,Tu,Th-Sa 09:00-18:00"),
        ("9h-12h du lundi au vendredi", "Mo-Fr 09:00-12:00"),
        ("tous les jours de 8h à 20h", "Mo-Su 08:00-20:00"),
        ("Lun-Ven 9h00-17h00", "Mo-Fr 09:00-17:00"),
        ("lundi 9h-12h mardi 14h-17h", "Mo 09:00-12:00; Tu 14:00-17:00"),
        ("de 9h à midi du lundi au vendredi", "Mo-Fr 09:00-12:00"),
        ("du mardi au vendredi 9h-12h30 et 13h30-17h, samedi 9h-12h. Fermé le dimanche et le lundi",
         "Tu-Fr 09:00-12:30,13:30-17:00; Sa 09:00-12:00"),
        ("Mo-Fr 09:00-12:00", "Mo-Fr 09:00-12:00"),  # already OSM: unchanged
    ],
)
def test_unambiguous_texts_are_converted(texte, osm):
    conversion = convertir(texte)
    assert conversion.osm == osm and conversion.note == ""
    assert opening_hours.validate(conversion.osm)


@pytest.mark.parametrize(
    "texte", ["sur rendez-vous", "lundi", "9h-12h", "lundi matin", "lundi de 14h", "lundi 18h-9h", "semaines paires 9h-12h"]
)
def test_ambiguous_texts_are_flagged_not_guessed(texte):
    conversion = convertir(texte)
    assert conversion.osm == ""
    assert "non convertis" in conversion.note and texte in conversion.note


def test_empty():
    assert convertir("") == convertir("   ") and convertir("").osm == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="lundimarvejesoh0123456789 -:,àé", max_size=60))
def test_never_crashes_and_output_is_valid_osm(texte):
    conversion = convertir(texte)
    assert conversion.osm == "" or opening_hours.validate(conversion.osm)
