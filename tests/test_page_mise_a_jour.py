"""The "Mettre à jour les données" page headless (AppTest): a collector's CSV in the session, the
suggested mapping, the French report, the five downloads and the comparison with the sidebar's territory."""
import csv
import io
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the app's `ui` module, as the page imports it
import ui  # noqa: E402
from diagnostics import territories
from diagnostics.places import charger_lieux

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "mise_a_jour.py")


def _collecte() -> bytes:
    texte = io.StringIO()
    w = csv.writer(texte, delimiter=";")
    w.writerow(["Nom de la structure", "Adresse", "Code postal", "Ville", "Horaires d'ouverture", "Date de mise à jour"])
    w.writerow(["Médiathèque <b>Capucins</b>", "25 rue de Pontaniou", "29200", "Brest", "du lundi au vendredi de 9h à 12h", "01/02/2025"])
    w.writerow(["Mairie", "2 rue Frézier", "29200", "Brest", "sur rendez-vous", ""])
    return texte.getvalue().encode("cp1252")


def _app() -> AppTest:
    t = territories.resolve("commune:29019")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["contexte"] = ui.Contexte(territoire=t, source="embarque", resultat=charger_lieux(t, "embarque"))
    return at


def test_page_without_file_asks_for_one():
    at = _app().run()
    assert not at.exception, at.exception
    assert any("Importez un fichier" in i.value for i in at.info)


def test_page_with_a_file():
    at = _app()
    at.session_state["maj_televerse"] = ("collecte.csv", _collecte())
    at.run()
    assert not at.exception, at.exception
    metriques = {m.label: m.value for m in at.metric}
    assert metriques["Lignes"] == "2" and metriques["Problèmes bloquants"] != "0"
    assert any("ne respecte pas le standard" in e.value for e in at.error)
    labels = [b.label for b in at.get("download_button")]
    assert "Enregistrer la correspondance (JSON)" in labels
    assert {"lieux.csv", "lieux.json", "rapport.xlsx", "rapport.html", "correspondance.json"} <= set(labels)
    assert any(label.startswith("Nouveaux lieux") for label in labels)  # comparison with Brest
    assert len(at.dataframe) >= 3
    textes = "\n".join(t.value for t in at.text)
    assert "horaires" in textes and "comparaison avec les données nationales de Brest" in textes

    at.checkbox[0].uncheck().run()  # no comparison
    assert not at.exception, at.exception
    assert not any(b.label.startswith("Nouveaux lieux") for b in at.get("download_button"))
