"""The "Fiche territoire" page (pages/rapport.py) run headless with AppTest, with a context put in the
session as the app's sidebar would: one click builds the three files, the tables are offered."""
from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ui  # noqa: E402
from diagnostics import territories  # noqa: E402
from diagnostics.places import charger_lieux  # noqa: E402

PAGE = str(ROOT / "pages" / "rapport.py")

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium absent : installez le paquet Debian chromium.")


def _page(identifiant: str) -> AppTest:
    t = territories.resolve(identifiant)
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["contexte"] = ui.Contexte(territoire=t, source="embarque", resultat=charger_lieux(t, "embarque"))
    return at.run()


def _telechargements(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_one_click_builds_the_three_files_and_the_tables_are_offered():
    at = _page("epci:242900314")
    assert not at.exception, at.exception
    avant = _telechargements(at)
    assert avant == [
        "Indicateurs par commune — CSV", "Indicateurs par commune — Excel",
        "Indicateurs par EPCI — CSV", "Indicateurs par EPCI — Excel",
    ]
    at.text_input(key="fiche_auteur").input("Mairie de Brest — service numérique")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    pptx = next(d for n, d in at.session_state["_fiche"][1].items() if n.endswith(".pptx"))
    couverture = Presentation(io.BytesIO(pptx)).slides[0]
    assert "Mairie de Brest — service numérique" in " ".join(s.text_frame.text for s in couverture.shapes if s.has_text_frame)
    apres = _telechargements(at)
    assert [l.rsplit(" (", 1)[0] for l in apres[:3]] == ["Présentation PowerPoint", "Document PDF", "Page HTML (hors ligne)"]
    assert apres[3:] == avant
    assert all(l.endswith(" Mo)") for l in apres[:3])
    assert at.title[0].value == "Fiche territoire"


def test_a_commune_has_no_epci_table():
    at = _page("commune:29019")
    assert not at.exception, at.exception
    assert _telechargements(at) == ["Indicateurs par commune — CSV", "Indicateurs par commune — Excel"]
