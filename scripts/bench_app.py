"""Dashboard benchmark (`make bench-app`): starts the real app and measures it in headless Chromium.

Prints: time to a drawn map for France, Nord (the largest département) and an EPCI, with the map
payload; the server time of a warm territory switch (script run, measured in-process with AppTest);
the memory the server adds per extra browser session. Targets: switch < 1 s server time, Nord's
map < 3 s, France < 5 s, < 100 MB per extra session.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from app_server import app_server, chromium, drawn_places, map_frame  # noqa: E402

TERRITOIRES = [("france", "France"), ("dep:59", "Nord"), ("epci:242900751", "CC du Pays de Landivisiau")]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _map_time(browser, url: str, territoire: str) -> tuple[float, int, int]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    octets = 0

    def compter(response):
        nonlocal octets
        if "/_stcore/" in response.url or response.request.resource_type == "document":
            return
        try:
            octets += len(response.body())
        except Exception:  # noqa: BLE001 - redirects and websockets have no body
            pass

    page.on("response", compter)
    debut = time.perf_counter()
    page.goto(f"{url}/carte?territoire={territoire}")
    frame = map_frame(page, 180)
    duree = time.perf_counter() - debut
    html = frame.evaluate("() => document.documentElement.outerHTML.length")
    n = drawn_places(frame)
    page.close()
    return duree, n, html


def _switch_server_time(repetitions: int = 5) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    temps = []
    for i in range(repetitions + 1):
        territoire = ("dep:29", "dep:59")[i % 2]
        at.query_params["territoire"] = territoire
        debut = time.perf_counter()
        at.run()
        if i >= 2:  # both territories warm
            temps.append(time.perf_counter() - debut)
    return temps


def main() -> int:
    print("Tableau de bord — mesures (Chromium headless, serveur sur 127.0.0.1)")
    with app_server() as (url, proc), chromium() as browser:
        for territoire, nom in TERRITOIRES:
            froid, n, taille = _map_time(browser, url, territoire)
            chaud, _, _ = _map_time(browser, url, territoire)
            print(f"carte {nom:<28} froid {froid:5.2f} s  chaud {chaud:5.2f} s  lieux dessinés {n:>6}  carte {taille / 1e6:5.2f} Mo")
        base = _rss_mb(proc.pid)
        pages = []
        for _ in range(5):
            page = browser.new_page()
            page.goto(f"{url}/?territoire=dep:29")
            page.get_by_text("Finistère (29)").first.wait_for(timeout=120_000)
            pages.append(page)
        time.sleep(2)
        par_session = (_rss_mb(proc.pid) - base) / len(pages)
        print(f"mémoire du serveur : {base:.0f} Mo, puis +{par_session:.1f} Mo par session supplémentaire (cible < 100 Mo)")
    temps = _switch_server_time()
    print(
        f"changement de territoire (exécution du script, à chaud) : médiane {statistics.median(temps):.2f} s, "
        f"max {max(temps):.2f} s (cible < 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
