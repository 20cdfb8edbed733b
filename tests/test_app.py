"""The dashboard run headless with Streamlit's AppTest: every page, territory levels, URL state, fallbacks."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnostics.places import charger_lieux, dans_territoire
from diagnostics.territories import resolve

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.label + " " + str(m.value) for m in at.metric]
    parts += [str(c.value) for c in at.caption] + [t.value for t in at.title]
    return "\n".join(parts)


@pytest.mark.parametrize("territoire", ["france", "reg:53", "dep:29", "epci:242900314", "commune:29019"])
def test_first_page_at_every_level(territoire):
    at = _app(territoire=territoire)
    assert not at.exception, at.exception
    assert at.metric, "the headline figures are missing"
    assert "Instantané embarqué" in _texts(at)


@pytest.mark.parametrize("territoire", ["france", "reg:53", "dep:29", "epci:242900314", "commune:29019"])
def test_map_page_at_every_level(territoire):
    at = _app(territoire=territoire)
    at.switch_page("pages/carte.py").run()
    assert not at.exception, at.exception
    cartes = [e for e in at.get("iframe")] or [e for e in at.main if type(e).__name__ == "UnknownElement"]
    html = " ".join(str(getattr(e, "proto", "")) for e in cartes)
    lieux = charger_lieux(resolve(territoire)).lieux
    dedans = lieux[dans_territoire(lieux, resolve(territoire)) & lieux.geometry.notna()]
    noms = [n for n in dedans["nom"] if n.isascii() and n.replace(" ", "").isalnum()]
    assert noms, "test data: an in-territory place with a plain name"
    assert noms[0] in html, "the territory's places are missing from the map"
    assert "cdn.jsdelivr" not in html and "cdnjs" not in html, "map assets must be served by the app"
    assert "Source : Instantané embarqué" in _texts(at)


def test_territory_in_url_is_kept():
    at = _app(territoire="dep:29")
    assert at.query_params["territoire"] == ["dep:29"] or at.query_params["territoire"] == "dep:29"
    assert "Finistère" in _texts(at)


def test_unknown_territory_in_url_is_a_french_message():
    at = _app(territoire="dep:99")
    assert not at.exception
    assert any("Territoire introuvable" in e.value or "introuvable" in e.value for e in at.error)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_api_down_falls_back_to_the_snapshot_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("DIAGNOSTIC_API_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    at = _app(territoire="commune:29019", source="api")
    assert not at.exception
    assert at.warning, "the fallback must be announced"
    assert "instantané" in " ".join(w.value for w in at.warning).lower()
    assert at.metric


def test_server_time_journal_only_when_asked(tmp_path, monkeypatch):
    journal = tmp_path / "durees.jsonl"
    monkeypatch.delenv("DIAGNOSTIC_JOURNAL_DUREES", raising=False)
    _app(territoire="dep:29")
    assert not journal.exists()
    monkeypatch.setenv("DIAGNOSTIC_JOURNAL_DUREES", str(journal))
    at = _app(territoire="dep:29")
    at.query_params["territoire"] = "dep:56"
    at.run()
    at.switch_page("pages/carte.py").run()
    import json

    runs = [json.loads(ligne) for ligne in journal.read_text(encoding="utf-8").splitlines()]
    assert [(r["page"], r["territoire"], r["changement"]) for r in runs] == [
        ("synthese", "dep:29", False), ("synthese", "dep:56", True), ("carte", "dep:56", False),
    ]
    assert len({r["session"] for r in runs}) == 1 and all(0 < r["duree_s"] < 120 for r in runs)
