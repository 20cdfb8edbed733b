"""Dashboard benchmark (`make bench-app`): starts the real app and measures it in headless Chromium.

Prints, for France, Nord (the largest département) and an EPCI, the time to a drawn map (the places'
canvas in the map frame) in three situations, the server's caches warm:
- "changement": in an open session on the Carte page, from the click on the territory in the
  sidebar search to its map drawn — what a user waits for when exploring;
- "page (cache)": a new tab of a browser that has opened the app before (Streamlit's scripts in
  its cache), from navigation to the drawn map — reopening a shared link;
- "1re visite": a browser with an empty cache, from navigation to the drawn map (Streamlit's
  own page load, about 2 s here, included);
and the map payload; then the server time of those territory switches (script runs, from the
app's own journal, DIAGNOSTIC_JOURNAL_DUREES) and the memory the server adds per extra browser
session.
The very first map of a new server process (every module and table to load) is printed too.
Targets: switch < 1 s server time, Nord's map < 3 s, France < 5 s, < 100 MB per extra session.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from app_server import app_server, chromium, drawn_places, map_frame, mark_map  # noqa: E402

VUE = {"width": 1400, "height": 1000}
TERRITOIRES = [("france", "France"), ("dep:59", "Nord"), ("epci:242900751", "CC du Pays de Landivisiau")]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _map_time(browser, url: str, territoire: str, contexte=None) -> tuple[float, int, int]:
    """Navigation to the drawn map in a new tab (of `contexte`, whose cache is warm, or of a new
    browser context with an empty cache)."""
    page = contexte.new_page() if contexte else browser.new_page(viewport=VUE)
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


def _switch_time(contexte, url: str, depart: str, territoire) -> float:
    """From the click on `territoire` in the sidebar search of an open Carte page to its map drawn."""
    page = contexte.new_page()
    page.goto(f"{url}/carte?territoire={depart}")
    mark_map(map_frame(page, 180))
    recherche = page.get_by_role("textbox", name="Rechercher un territoire")
    recherche.fill(territoire.nom)
    recherche.press("Enter")
    page.get_by_role("combobox", name="Résultats").click()
    option = page.get_by_role("option", name=territoire.libelle, exact=True)
    option.wait_for()
    debut = time.perf_counter()
    option.click()
    map_frame(page, 180)
    duree = time.perf_counter() - debut
    page.close()
    return duree


def _switch_server_times(journal: Path) -> list[float]:
    """Server times of the runs that switched territory (the app's DIAGNOSTIC_JOURNAL_DUREES)."""
    runs = [json.loads(ligne) for ligne in journal.read_text(encoding="utf-8").splitlines()]
    return [run["duree_s"] for run in runs if run["changement"]]


def main() -> int:
    print("Tableau de bord — mesures (Chromium headless, serveur sur 127.0.0.1)")
    from diagnostics import territories

    dossier = tempfile.TemporaryDirectory()
    journal = Path(dossier.name) / "durees.jsonl"
    with app_server({"DIAGNOSTIC_JOURNAL_DUREES": str(journal)}) as (url, proc), chromium() as browser:
        contexte = browser.new_context(viewport=VUE)
        for numero, (identifiant, nom) in enumerate(TERRITOIRES):
            froid, _, _ = _map_time(browser, url, identifiant)  # the server's caches for this territory
            if numero == 0:
                print(f"première carte d'un serveur qui vient de démarrer ({nom}, tout à charger) : {froid:.1f} s")
            depart = "dep:29" if identifiant != "dep:29" else "dep:56"
            changements = [_switch_time(contexte, url, depart, territories.resolve(identifiant)) for _ in range(3)]
            pages = [_map_time(browser, url, identifiant, contexte)[0] for _ in range(3)]
            visites = [_map_time(browser, url, identifiant) for _ in range(3)]
            n, taille = visites[0][1], visites[0][2]
            print(
                f"carte {nom:<28} changement {statistics.median(changements):5.2f} s  page (cache) {statistics.median(pages):5.2f} s  "
                f"1re visite {statistics.median(v[0] for v in visites):5.2f} s  (médianes de 3)  lieux dessinés {n:>6}  "
                f"carte {taille / 1e6:5.2f} Mo"
            )
        contexte.close()
        base = _rss_mb(proc.pid)
        # Each extra session opens the Synthèse of the Finistère, then the Nord's map (the largest
        # per-session messages), and stays open.
        pages = []
        for _ in range(5):
            page = browser.new_page()
            page.goto(f"{url}/?territoire=dep:29")
            page.get_by_text("Finistère (29)").first.wait_for(timeout=120_000)
            page.goto(f"{url}/carte?territoire=dep:59")
            map_frame(page, 180)
            pages.append(page)
        time.sleep(2)
        par_session = (_rss_mb(proc.pid) - base) / len(pages)
        print(
            f"mémoire du serveur : {base:.0f} Mo, puis +{par_session:.1f} Mo par session supplémentaire "
            "(Synthèse du Finistère puis carte du Nord ; cible < 100 Mo)"
        )
    temps = _switch_server_times(journal)
    dossier.cleanup()
    print(
        f"changement de territoire sur la carte, temps serveur (exécution du script, {len(temps)} changements ci-dessus) : "
        f"médiane {statistics.median(temps):.2f} s, max {max(temps):.2f} s (cible < 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
