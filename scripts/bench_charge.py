"""Load benchmark: N concurrent headless Chromium sessions switching territories against one server.

Starts the real app on 127.0.0.1 and one Chromium with N contexts. One session first opens every
territory once (the shared caches warm, as on a server that has been up a while; `--a-froid` skips
it); then the sessions arrive one after the other on the Synthèse page and, for `--duree` seconds,
each picks another territory in the sidebar search after a reading pause (`--pause`). For every
switch it measures, in the browser, the time from the click on the territory to its title on the
page and to the end of the script run. Prints p50/p95/max, errors
(French error boxes, exceptions, page errors, timeouts) and the server's memory (VmRSS) before the
sessions, with them open, and per session. The server time of each script run comes from the app's
own journal (DIAGNOSTIC_JOURNAL_DUREES): the target is on it — 20 sessions, p95 of a territory
switch's server time under 3 s; the times seen by the browsers, which share the same two cores, are
printed beside it. The browsers run at a lower CPU priority (nice 10) than the server: in real use
they run on people's own computers, not on the server's two cores.

    .venv/bin/python scripts/bench_charge.py --sessions 20 --duree 90
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from app_server import CHROMIUM, CHROMIUM_ARGS, app_server
from playwright.async_api import TimeoutError as PlaywrightTimeout

TERRITOIRES = ["dep:29", "dep:56", "dep:22", "dep:35", "epci:242900751", "commune:29019", "reg:53", "dep:59"]
ERREURS = "[data-testid='stException'], [data-testid='stAlertContentError']"
DELAI_S = 60
NICE_NAVIGATEURS = 10


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s(pid: int) -> float:
    """CPU time (user + system, every thread) the process has used, in seconds."""
    champs = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(champs[11]) + int(champs[12])) / os.sysconf("SC_CLK_TCK")


def _centile(valeurs: list[float], q: float) -> float:
    ordonnees = sorted(valeurs)
    return ordonnees[min(len(ordonnees) - 1, max(0, round(q * (len(ordonnees) - 1))))]


async def _fin_du_script(page) -> None:
    # The status widget ("Running…") is shown while the script runs.
    await page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=DELAI_S * 1000
    )


async def _changer(page, territoire, mesures: dict) -> None:
    recherche = page.get_by_role("textbox", name="Rechercher un territoire")
    await recherche.fill(territoire.nom)
    await recherche.press("Enter")
    await asyncio.sleep(0.3)  # the search's run starts
    option = page.get_by_role("option", name=territoire.libelle, exact=True)
    # The results list is redrawn when the search's run ends: a list opened before shows the
    # previous search. Open it again until the territory is offered (this is typing time, not
    # measured).
    for essai in range(4):
        await _fin_du_script(page)
        # While a run ends, the list being replaced can still be on the page beside the new one.
        await page.get_by_role("combobox", name="Résultats").last.click(timeout=DELAI_S * 1000)
        try:
            await option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            await page.keyboard.press("Escape")
            if essai == 3:
                raise
    debut = time.perf_counter()
    await option.click(timeout=DELAI_S * 1000)
    await page.locator("h1").filter(has_text=territoire.libelle).first.wait_for(timeout=DELAI_S * 1000)
    duree = time.perf_counter() - debut
    mesures["titre"].append(duree)
    mesures["par_territoire"].setdefault(territoire.id, []).append(duree)
    await _fin_du_script(page)
    mesures["fin_script"].append(time.perf_counter() - debut)


async def _session(numero: int, browser, url: str, territoires: list, mesures: dict, depart: asyncio.Event,
                   ouverte: asyncio.Event, pause_s: float) -> None:
    contexte = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await contexte.new_page()
    page.on("pageerror", lambda e: mesures["erreurs"].append(f"session {numero} : erreur JavaScript {e}"))
    hasard = random.Random(numero)
    courant = territoires[numero % len(territoires)]
    debut = time.perf_counter()
    try:
        await page.goto(f"{url}/?territoire={courant.id}", timeout=DELAI_S * 1000)
        await page.locator("h1").filter(has_text=courant.libelle).first.wait_for(timeout=120_000)
        mesures["ouverture"].append(time.perf_counter() - debut)
    except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
        mesures["erreurs"].append(f"session {numero} : ouverture impossible ({type(exc).__name__})")
        return
    finally:
        ouverte.set()
    await depart.wait()  # every session opened: the clock is set
    while time.time() < mesures["fin"]:
        # A person reads the page before picking the next territory.
        await asyncio.sleep(hasard.uniform(0.5, 1.5) * pause_s)
        suivant = hasard.choice([t for t in territoires if t.id != courant.id])
        try:
            await _changer(page, suivant, mesures)
            courant = suivant
        except Exception as exc:  # noqa: BLE001
            premiere_ligne = (str(exc).splitlines() or [""])[0][:120]
            mesures["erreurs"].append(f"session {numero} : {courant.id} → {suivant.id} : {type(exc).__name__} {premiere_ligne}")
            await page.goto(f"{url}/?territoire={courant.id}", timeout=DELAI_S * 1000)
            continue
        boites = await page.locator(ERREURS).count()
        if boites:
            texte = await page.locator(ERREURS).first.inner_text()
            mesures["erreurs"].append(f"session {numero} : {suivant.id} : message d'erreur « {texte[:120]} »")


async def _prechauffer(browser, url: str, territoires: list) -> None:
    """One session opens every territory once: the shared caches (places, diagnostics) are then warm,
    as on a server that has been up for a while."""
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    for territoire in territoires:
        await page.goto(f"{url}/?territoire={territoire.id}", timeout=DELAI_S * 1000)
        await page.locator("h1").filter(has_text=territoire.libelle).first.wait_for(timeout=120_000)
        await _fin_du_script(page)
    await page.close()


async def _mesurer(url: str, pid: int, options) -> dict:
    from playwright.async_api import async_playwright

    from diagnostics import territories

    territoires = [territories.resolve(i) for i in TERRITOIRES]
    mesures: dict = {"titre": [], "fin_script": [], "ouverture": [], "erreurs": [], "par_territoire": {}}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        if not options.a_froid:
            await _prechauffer(browser, url, territoires)
        mesures["rss_avant"] = _rss_mb(pid)
        depart = asyncio.Event()
        taches = []
        # Sessions arrive one after the other (each opens its first page before the next comes).
        for n in range(options.sessions):
            ouverte = asyncio.Event()
            taches.append(asyncio.create_task(_session(n, browser, url, territoires, mesures, depart, ouverte, options.pause)))
            await ouverte.wait()
        mesures["rss_ouvertes"] = _rss_mb(pid)
        mesures["cpu_debut"] = _cpu_s(pid)
        mesures["debut"] = time.time()
        mesures["fin"] = mesures["debut"] + options.duree
        depart.set()
        await asyncio.gather(*taches)
        mesures["cpu"] = _cpu_s(pid) - mesures["cpu_debut"]
        mesures["duree_reelle"] = time.time() - mesures["debut"]
        mesures["rss_apres"] = _rss_mb(pid)
        await browser.close()
    return mesures


def _durees_serveur(journal: Path, debut: float, fin: float) -> tuple[list[float], list[float]]:
    """Server times (DIAGNOSTIC_JOURNAL_DUREES) of the script runs during the measurement: those that
    switched territory, and all of them (searches included)."""
    changements, toutes = [], []
    for ligne in journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []:
        run = json.loads(ligne)
        if debut <= run["t"] <= fin + DELAI_S:
            toutes.append(run["duree_s"])
            if run["changement"]:
                changements.append(run["duree_s"])
    return changements, toutes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duree", type=float, default=90, help="durée des changements de territoire, en secondes")
    parser.add_argument("--pause", type=float, default=3, help="temps de lecture moyen entre deux changements, en secondes")
    parser.add_argument("--a-froid", action="store_true", help="sans préchauffage : chaque territoire est calculé à sa première visite")
    parser.add_argument("--journal", type=Path, help="garder ici le journal des durées du serveur (JSON lines)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as dossier:
        journal = options.journal or Path(dossier) / "durees.jsonl"
        journal.unlink(missing_ok=True)
        with app_server({"DIAGNOSTIC_JOURNAL_DUREES": str(journal)}) as (url, proc):
            # The browsers stand for people's own computers: on this machine they share the server's
            # two cores, so they run at a lower priority (Chromium inherits it from this process).
            os.nice(NICE_NAVIGATEURS)
            mesures = asyncio.run(_mesurer(url, proc.pid, options))
        mesures["serveur"], mesures["serveur_tous"] = _durees_serveur(journal, mesures["debut"], mesures["fin"])
    _imprimer(mesures, options)
    return 0 if not mesures["erreurs"] and mesures["serveur"] else 1


def _imprimer(m: dict, options) -> None:
    etat = "caches du serveur préchauffés (chaque territoire ouvert une fois)" if not options.a_froid else "serveur à froid"
    print(f"Charge : {options.sessions} sessions Chromium simultanées, {options.duree:.0f} s de changements de territoire "
          f"(lecture {options.pause:g} s en moyenne entre deux), serveur sur 127.0.0.1, {etat}")
    if m["ouverture"]:
        print(f"ouverture de la première page : médiane {statistics.median(m['ouverture']):.2f} s, max {max(m['ouverture']):.2f} s")
    lignes = (
        ("serveur", "temps serveur d'un changement de territoire (exécution du script)"),
        ("serveur_tous", "temps serveur de toutes les exécutions (recherches comprises)"),
        ("titre", "changement vu du navigateur, du clic au titre du territoire"),
        ("fin_script", "changement vu du navigateur, du clic à la fin de l'exécution"),
    )
    for cle, libelle in lignes:
        v = m[cle]
        if v:
            print(f"{libelle} : {len(v)} mesures, p50 {_centile(v, 0.5):.2f} s, p95 {_centile(v, 0.95):.2f} s, max {max(v):.2f} s")
    for identifiant, v in sorted(m["par_territoire"].items()):
        print(f"  vers {identifiant:<16} {len(v):>3} changements (navigateur), p50 {_centile(v, 0.5):.2f} s, p95 {_centile(v, 0.95):.2f} s")
    if m["serveur"]:
        p95 = _centile(m["serveur"], 0.95)
        print(f"cible p95 du temps serveur d'un changement < 3 s : {'atteinte' if p95 < 3 else 'MANQUÉE'} ({p95:.2f} s)")
    if m["serveur_tous"]:
        print(f"processeur du serveur pendant les changements : {m['cpu']:.1f} s en {m['duree_reelle']:.0f} s "
              f"({m['cpu'] / m['duree_reelle']:.0%} d'un cœur), {m['cpu'] / len(m['serveur_tous']):.2f} s par exécution")
    par_session = (m["rss_ouvertes"] - m["rss_avant"]) / options.sessions
    print(f"mémoire du serveur : {m['rss_avant']:.0f} Mo avant, {m['rss_ouvertes']:.0f} Mo sessions ouvertes "
          f"(+{par_session:.1f} Mo par session), {m['rss_apres']:.0f} Mo à la fin")
    print(f"erreurs : {len(m['erreurs'])}")
    for erreur in m["erreurs"][:20]:
        print(f"  {erreur}")


if __name__ == "__main__":
    sys.exit(main())
