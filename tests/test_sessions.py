"""Two browser sessions on one real server: what session A uploads or fetches with its dataspace token
never reaches session B, and the token is found in no log, no cache file and no Streamlit cache."""
from __future__ import annotations

import contextlib
import csv
import io
import pickle
import time
from pathlib import Path

import pytest
from app_server import NAVIGATEUR_REQUIS, ROOT, app_server, chromium, map_frame
from fake_api import TOKEN, FakeApi

from diagnostics.views import assets

pytestmark = NAVIGATEUR_REQUIS

TERRITOIRE = "dep:13"
TITRE_CARTE = "Carte — Bouches-du-Rhône"
NOM_FICHIER = "lieux-session-a-9c41.csv"
LIEU_FICHIER = "Lieu Televerse Alpha 9c41"  # only in A's upload
LIEU_DATASPACE = "Lieu Dataspace Beta 5e72"  # only in what A's token fetches
PAGES = ["", "carte", "offre", "zones_blanches", "qualite", "lieux", "comparer", "evolution", "rapport", "mise_a_jour", "carte_integrer"]


def _fixture_rows() -> tuple[list[str], list[dict[str, str]]]:
    with (Path(__file__).parent / "fixtures" / "api" / "lieux_export.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _upload() -> bytes:
    """Real places of the Bouches-du-Rhône with coordinates; the first one renamed."""
    header, rows = _fixture_rows()
    rows = [r for r in rows if r["code_insee"].startswith("13") and float(r["latitude"] or 0) != 0]
    rows[0] = {**rows[0], "nom": LIEU_FICHIER}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def dataspace():
    with FakeApi() as fake:
        marseille = next(r for r in fake.rows if r["code_insee"] == "13055" and float(r["latitude"] or 0) != 0)
        marseille["nom"] = LIEU_DATASPACE
        yield fake


@pytest.fixture(scope="module")
def serveur(dataspace, tmp_path_factory):
    """The real app, its stdout and stderr kept in files, its cache in a fresh directory."""
    if assets.assets_manquants():
        assets.installer()
    dossier = tmp_path_factory.mktemp("serveur")
    cache = dossier / "cache"
    env = {"DIAGNOSTIC_CACHE_DIR": str(cache), "DIAGNOSTIC_DATASPACE_URL": dataspace.url}
    with app_server(env, journaux=dossier, retirer=("DIAGNOSTIC_DATASPACE_TOKEN",)) as (url, _):
        yield url, dossier, cache


def _tout_le_texte(page) -> str:
    """The page's HTML and every frame's (the map is an iframe)."""
    textes = []
    for frame in page.frames:
        # A frame may be replaced while Streamlit reruns: it is read at the next polling.
        with contextlib.suppress(Exception):
            textes.append(frame.content())
    return "\n".join(textes)


def _lecture_avec(page, temoin: str, timeout_s: float = 60) -> str:
    """The text of the page and its frames at the first reading that holds `temoin`, "" if none does in
    `timeout_s` (the map iframe is redrawn after each script run, so one reading may catch it empty)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        texte = _tout_le_texte(page)
        if temoin in texte:
            return texte
        page.wait_for_timeout(500)
    return ""


def _saisir_jeton(page, jeton: str) -> None:
    champ = page.get_by_role("textbox", name="Jeton du dataspace ANCT")
    champ.fill(jeton)
    champ.press("Enter")


def test_upload_and_token_stay_in_their_session(serveur, dataspace):
    url, dossier, cache = serveur
    with chromium() as browser:
        a = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        b = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

        # A uploads its file: its place is on A's map.
        a.goto(f"{url}/carte?territoire={TERRITOIRE}&source=fichier")
        a.get_by_text("Importez un fichier de lieux").wait_for(timeout=60_000)
        # The places' uploader, not those of the « Périmètre personnalisé » builder.
        a.locator("section[data-testid='stSidebar'] [data-testid='stFileUploader']", has_text="Fichier de lieux").locator(
            "input[type=file]"
        ).set_input_files(
            files=[{"name": NOM_FICHIER, "mimeType": "text/csv", "buffer": _upload()}]
        )
        a.get_by_text(TITRE_CARTE).wait_for(timeout=90_000)
        map_frame(a)
        assert _lecture_avec(a, LIEU_FICHIER)

        # B, on the same source at the same time, sees neither A's place nor A's file name, on any page.
        for chemin in PAGES:
            b.goto(f"{url}/{chemin}?territoire={TERRITOIRE}&source=fichier")
            b.get_by_text("Importez un fichier de lieux").wait_for(timeout=60_000)
            texte = _tout_le_texte(b)
            assert LIEU_FICHIER not in texte and NOM_FICHIER not in texte, chemin

        # A, in a second tab (its upload session still open), gives its token: the dataspace's places show.
        a_jeton = a.context.new_page()
        a_jeton.goto(f"{url}/carte?territoire={TERRITOIRE}&source=dataspace")
        a_jeton.get_by_text("Saisissez le jeton du dataspace ANCT").wait_for(timeout=60_000)
        _saisir_jeton(a_jeton, TOKEN)
        a_jeton.get_by_text(TITRE_CARTE).wait_for(timeout=90_000)
        assert _lecture_avec(a_jeton, "Dataspace de l'ANCT (API inclusion numérique")
        assert any(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in dataspace.requests)

        # B without a token is asked for one; with a wrong token it must not get what A's token fetched
        # (neither from a shared cache nor from the download cache on disk).
        b.goto(f"{url}/carte?territoire={TERRITOIRE}&source=dataspace")
        b.get_by_text("Saisissez le jeton du dataspace ANCT").wait_for(timeout=60_000)
        assert LIEU_DATASPACE not in _tout_le_texte(b)
        _saisir_jeton(b, "jeton-faux-de-b")
        b.get_by_text(TITRE_CARTE).wait_for(timeout=60_000)
        map_frame(b)
        texte_b = _lecture_avec(b, "Aix-en-Provence")  # B's map drawn: its communes are in it
        assert texte_b
        assert LIEU_DATASPACE not in texte_b and LIEU_FICHIER not in texte_b
        assert TOKEN not in texte_b
        b.get_by_text("refusé le jeton").first.wait_for(timeout=10_000)

    fichiers_cache = [p for p in cache.rglob("*") if p.is_file()]
    assert fichiers_cache, "le téléchargement du dataspace aurait dû être mis en cache"
    for chemin in fichiers_cache:
        assert TOKEN.encode() not in chemin.read_bytes(), chemin
        assert TOKEN not in str(chemin)
    time.sleep(0.5)  # let the server flush its logs
    for journal in ("stdout.log", "stderr.log"):
        assert TOKEN.encode() not in (dossier / journal).read_bytes(), journal


def _valeurs_en_cache():
    """Every value held by st.cache_resource and st.cache_data in this process, as bytes where possible."""
    from streamlit.runtime.caching import cache_data_api, cache_resource_api

    for registre in (cache_resource_api._resource_caches, cache_data_api._data_caches):
        for caches in registre._function_caches.values():
            for cache in caches.values():
                if hasattr(cache, "_mem_cache"):
                    entrees = [resultat.value for resultat in cache._mem_cache.values()]
                else:
                    entrees = list(cache.storage._mem_cache.values())
                for valeur in entrees:
                    yield valeur if isinstance(valeur, bytes) else pickle.dumps(valeur)


def test_token_and_its_data_never_in_streamlit_caches(dataspace, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DIAGNOSTIC_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DIAGNOSTIC_DATASPACE_URL", dataspace.url)
    monkeypatch.delenv("DIAGNOSTIC_DATASPACE_TOKEN", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["territoire"] = TERRITOIRE
    at.query_params["source"] = "dataspace"
    at.session_state["_jeton"] = TOKEN
    at.run()
    assert not at.exception, at.exception
    ctx = at.session_state["contexte"]
    assert ctx.source == "dataspace" and LIEU_DATASPACE in set(ctx.lieux["nom"])

    valeurs = list(_valeurs_en_cache())
    # The scan can fail: the territory, kept in a shared cache, is found in it.
    assert any("Bouches-du-Rhône".encode() in v for v in valeurs)
    for valeur in valeurs:
        assert TOKEN.encode() not in valeur
        assert LIEU_DATASPACE.encode() not in valeur
