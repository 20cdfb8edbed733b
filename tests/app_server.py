"""Start the real dashboard (streamlit run app.py) on 127.0.0.1 and a headless Debian Chromium, for
browser tests and the dashboard benchmark."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# Marks of a test module that needs the Debian Chromium: it skips, saying so, only when it is absent.
NAVIGATEUR_REQUIS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium absent (/usr/bin/chromium) : installez le paquet Debian chromium pour lancer ce test.",
    ),
]

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(env: dict[str, str] | None = None, timeout: float = 60, *, journaux: Path | None = None,
               retirer: tuple[str, ...] = ()):
    """Yield (base_url, process) of a dashboard served on a free local port; stop it afterwards.

    `env` adds variables, `retirer` removes some from this environment; with `journaux`, the server's
    stdout and stderr are kept in journaux/stdout.log and journaux/stderr.log (to search them).
    """
    port = _free_port()
    streamlit = ROOT / ".venv" / "bin" / "streamlit"
    cmd = [str(streamlit)] if streamlit.exists() else [sys.executable, "-m", "streamlit"]
    environ = {**os.environ, **(env or {})}
    for nom in retirer:
        environ.pop(nom, None)
    with ExitStack() as fichiers:
        if journaux:
            sortie = fichiers.enter_context((journaux / "stdout.log").open("wb"))
            erreurs = fichiers.enter_context((journaux / "stderr.log").open("wb"))
        else:
            sortie, erreurs = subprocess.DEVNULL, subprocess.PIPE
        proc = subprocess.Popen(
            [*cmd, "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=environ, stdout=sortie, stderr=erreurs,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _attendre(url, proc, timeout, journaux)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _attendre(url: str, proc: subprocess.Popen, timeout: float, journaux: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            texte = (journaux / "stderr.log").read_bytes() if journaux else proc.stderr.read()
            raise RuntimeError(f"streamlit s'est arrêté : {texte.decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("streamlit n'a pas répondu à temps")


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def record_external(page, allowed_prefix: str, external: list[str]) -> None:
    """Record every request that does not go to the app itself (the machine has no route out anyway).

    Requests are watched, not intercepted: routing every request through Playwright stalls the
    Streamlit client's start-up.
    """

    def watch(request):
        url = request.url
        if not (url.startswith(allowed_prefix) or url.startswith(("data:", "blob:", "about:"))):
            external.append(url)

    page.on("request", watch)


_CANVAS = ".leaflet-overlay-pane canvas"


def map_frame(page, timeout_s: float = 60):
    """The streamlit-folium iframe once its Leaflet canvas is drawn (a canvas not marked by `mark_map`)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.query_selector(f"{_CANVAS}:not([data-ancienne])"):
                    return frame
            except Exception:  # noqa: BLE001 - frames come and go while Streamlit reruns
                pass
        time.sleep(0.1)
    raise TimeoutError("la carte n'a pas été dessinée")


def mark_map(frame) -> None:
    """Mark the drawn map, so that `map_frame` waits for the next one (after a territory switch)."""
    frame.evaluate(f"() => document.querySelector('{_CANVAS}').dataset.ancienne = '1'")


def drawn_places(frame) -> int:
    """Circle markers drawn in the map (places of the territory and of its neighbours)."""
    return frame.evaluate(
        """() => { let n = 0; for (const k of Object.keys(window)) { const v = window[k];
                 if (v && v.eachLayer && k.startsWith('map_')) v.eachLayer(l => { if (l instanceof L.CircleMarker) n++; }); }
                 return n; }"""
    )
