"""Accessibility audit (`make audit-a11y`): axe-core (WCAG 2.1 A/AA) in headless Chromium, offline.

Prints the number of rules broken by impact (critical / serious / moderate / minor) for each page:
- the local map (Brest, embedded data): home, filtered list and a place's detail, at 375 px and 1280 px,
  beside the same pages of the previous release's map (its template taken from git) and the national
  map web component's demo page (npm package @gouvfr-anct/cartographie-nationale, its fake data, served
  from this machine; its map tiles and its API are not reached);
- the one-file HTML report (an EPCI, embedded data);
- the dashboard's pages (real `streamlit run`), the rules broken split between our HTML (markdown,
  components, the maps' frames) and Streamlit's own widgets.

`--ecrire` also writes the local map's figures into diagnostics/carte_locale/modele/audit_accessibilite.json,
which the accessibility statement of every generated map quotes (a test checks they are current).
`--sans-tableau-de-bord` skips the dashboard (the longest part, about a minute).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import axe  # noqa: E402
from app_server import app_server, chromium  # noqa: E402

VERSION_PRECEDENTE = "bbd64a6"  # main before the accessibility work (issue 16)
NATIONALE = ROOT / "node_modules" / "@gouvfr-anct" / "cartographie-nationale"
EPCI_RAPPORT = "epci:242900314"
PAGES_TABLEAU = [
    ("Synthèse", ""), ("Carte", "carte"), ("Offre de services", "offre"), ("Zones blanches", "zones_blanches"),
    ("Qualité des données", "qualite"), ("Lieux", "lieux"), ("Comparer", "comparer"), ("Fiche territoire", "rapport"),
    ("Mettre à jour", "mise_a_jour"), ("Carte à intégrer", "carte_integrer"),
]
# Where our own HTML sits in a dashboard page; a node elsewhere is Streamlit's own widget.
NOTRE_HTML = '[data-testid="stMarkdownContainer"], iframe, [data-testid="stCaptionContainer"]'


def _compte(violations: list[dict] | None) -> str:
    if violations is None:
        return "—"
    c = axe.par_impact(violations)
    return " / ".join(str(c[i]) for i in axe.IMPACTS)


def _ligne(colonnes: list[str], largeurs: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(colonnes, largeurs))


# --- local maps ----------------------------------------------------------------------------------

# A territory's light brand colour (white text on it would read at 1.4:1), audited as a second variant.
COULEURS_CLAIRES = {"couleur": "#ffd400", "couleur_secondaire": "#ffe08a"}


def carte_actuelle(navigateur, dossier: Path, **couleurs) -> dict[str, list[dict]]:
    site = axe.construire_carte_auditee(dossier / f"actuelle{len(couleurs)}", **couleurs)
    return axe.auditer_carte_locale(navigateur, site.index)


def carte_precedente(navigateur, dossier: Path, **couleurs) -> dict[str, list[dict]] | None:
    """The map as the previous release drew it: its template files from git, today's data and builder
    (whose theme.css still writes --couleur and --couleur-secondaire as chosen: the previous template
    reads only those, so the chosen colours reach it uncorrected)."""
    from diagnostics.carte_locale import site as module_site

    modele = dossier / f"modele_precedent{len(couleurs)}"
    modele.mkdir()
    for nom in ("index.html", "app.js", "style.css"):
        sortie = subprocess.run(
            ["git", "show", f"{VERSION_PRECEDENTE}:diagnostics/carte_locale/modele/{nom}"],
            cwd=ROOT, capture_output=True,
        )
        if sortie.returncode != 0:
            print(f"Version {VERSION_PRECEDENTE} introuvable dans git : carte précédente non auditée.", file=sys.stderr)
            return None
        (modele / nom).write_bytes(sortie.stdout)
    with mock.patch.object(module_site, "MODELE_DIR", modele):
        site = axe.construire_carte_auditee(dossier / f"precedente{len(couleurs)}", **couleurs)
    # the previous release wrote the colours as chosen: undo today's correction for the variables it reads
    theme = site.dossier / "theme.css"
    choisies = {"couleur": couleurs.get("couleur", module_site.COULEUR_DEFAUT),
                "couleur-secondaire": couleurs.get("couleur_secondaire", module_site.COULEUR_SECONDAIRE_DEFAUT)}
    theme.write_text(":root {\n" + "".join(f"  --{k}: {v};\n" for k, v in choisies.items()) + "}\n", encoding="utf-8")
    return axe.auditer_carte_locale(navigateur, site.index)


@contextmanager
def _serveur(dossier: Path):
    class Silencieux(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # one line per request would drown the results
            pass

    gestionnaire = functools.partial(Silencieux, directory=str(dossier))
    serveur = http.server.ThreadingHTTPServer(("127.0.0.1", 0), gestionnaire)
    fil = threading.Thread(target=serveur.serve_forever, daemon=True)
    fil.start()
    try:
        yield f"http://127.0.0.1:{serveur.server_port}"
    finally:
        serveur.shutdown()


def demo_nationale(navigateur, dossier: Path) -> dict[str, list[dict]] | None:
    """The national web component's demo: its own fake data, its assets from the npm package.

    The component asks a CDN for its fonts and map style: those URLs are answered from the installed
    package; its vector tiles and anything else outside are refused (the machine has no other route).
    """
    if not (NATIONALE / "cartographie.js").exists():
        print("Paquet @gouvfr-anct/cartographie-nationale absent (make assets) : démo nationale non auditée.",
              file=sys.stderr)
        return None
    racine = dossier / "nationale"
    racine.mkdir()
    (racine / "paquet").symlink_to(NATIONALE, target_is_directory=True)
    (racine / "assets").symlink_to(NATIONALE / "assets", target_is_directory=True)  # its logo, asked at the root
    (racine / "index.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Cartographie nationale — démo</title>"
        '<link rel="stylesheet" href="paquet/styles.css"></head><body>'
        '<fr-mediation-numerique-cartographie source="paquet/assets/data/source.json" titre="Démo">'
        '</fr-mediation-numerique-cartographie><script src="paquet/cartographie.js"></script></body></html>',
        encoding="utf-8",
    )
    resultats = {}
    with _serveur(racine) as url:
        def router(route):
            adresse = route.request.url
            if adresse.startswith(url):
                return route.continue_()
            if "/npm/@gouvfr-anct/cartographie-nationale@" in adresse and "/assets/" in adresse:
                fichier = NATIONALE / "assets" / adresse.split("/assets/", 1)[1].split("?")[0]
                if fichier.is_file():
                    return route.fulfill(path=str(fichier))
            return route.abort()

        for ecran, vue in axe.ECRANS.items():
            contexte = navigateur.new_context(viewport=vue, locale="fr-FR")
            contexte.route("**/*", router)
            try:
                page = contexte.new_page()
                page.goto(f"{url}/index.html")
                page.get_by_text("résultats").first.wait_for(timeout=30_000)
                page.wait_for_timeout(1500)
                resultats[f"Accueil, {ecran}"] = axe.auditer(page)
            finally:
                contexte.close()
    return resultats


# --- report --------------------------------------------------------------------------------------

def page_rapport() -> str:
    from diagnostics import territories
    from diagnostics.diagnostic import diagnostic
    from diagnostics.indicators.par_commune import table_communes
    from diagnostics.places import charger_lieux
    from diagnostics.rapport import construire, html

    territoire = territories.resolve(EPCI_RAPPORT)
    resultat = charger_lieux(territoire, "embarque")
    diag = diagnostic(territoire, resultat.lieux, resultat.source)
    contenu = construire(diag, table_communes(territoire, resultat.lieux), lieux=resultat.lieux)
    return html.page(contenu)


def rapport(navigateur) -> dict[str, list[dict]]:
    resultats = {}
    texte = page_rapport()
    for ecran, vue in axe.ECRANS.items():
        page = navigateur.new_page(viewport=vue)
        try:
            page.set_content(texte)
            resultats[f"Rapport HTML, {ecran}"] = axe.auditer(page)
        finally:
            page.close()
    return resultats


# --- dashboard -----------------------------------------------------------------------------------

def _attendre_streamlit(page, delai: float = 90) -> None:
    fin = time.monotonic() + delai
    calme = 0
    while time.monotonic() < fin:
        occupe = page.evaluate("() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')")
        calme = 0 if occupe else calme + 1
        if calme >= 6:
            return
        time.sleep(0.25)
    raise TimeoutError("la page du tableau de bord ne s'est pas stabilisée")


def _partager(page, violations: list[dict]) -> tuple[list[dict], list[dict]]:
    """(ours, Streamlit's): a rule counts as ours when one of its nodes is in our HTML."""
    notres, streamlit = [], []
    for v in violations:
        cibles = [n["target"] for n in v["nodes"]]
        dans_notre_html = any(
            len(c) > 1  # inside a frame: the maps and the local-map preview are ours
            or page.evaluate("([s, n]) => { const e = document.querySelector(s); return !!(e && e.closest(n)); }",
                             [c[0], NOTRE_HTML])
            for c in cibles
        )
        (notres if dans_notre_html else streamlit).append(v)
    return notres, streamlit


def _ouvrir_une_fiche(page) -> bool:
    """Open the popup of the first place on the dashboard map (its frame's Leaflet layers); False if none."""
    for frame in page.frames:
        try:
            if frame.evaluate(
                """() => { for (const k of Object.keys(window)) { const v = window[k];
                    if (!(v && v.eachLayer && k.startsWith('map_'))) continue;
                    let ouvert = false;
                    // the popup is bound on the places' layer: a click on one of its markers opens it
                    v.eachLayer(l => { if (!ouvert && l instanceof L.CircleMarker && l.feature) {
                        l.fire('click', {latlng: l.getLatLng()}, true); ouvert = true; } });
                    if (ouvert && !document.querySelector('.leaflet-popup-content')) ouvert = false;
                    if (ouvert) return true; }
                  return false; }"""
            ):
                page.wait_for_timeout(500)
                return True
        except Exception:  # noqa: BLE001 - frames without Leaflet
            continue
    return False


def tableau_de_bord(navigateur) -> dict[str, tuple[list[dict], list[dict]]]:
    resultats = {}
    with app_server() as (url, _):
        for nom, chemin in PAGES_TABLEAU:
            page = navigateur.new_page(viewport={"width": 1280, "height": 900})
            try:
                page.goto(f"{url}/{chemin}?territoire={EPCI_RAPPORT}")
                page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=90_000)
                _attendre_streamlit(page)
                # open every expander: the charts' data tables and the help texts are our HTML too
                for resume in page.locator('[data-testid="stExpander"] summary').all():
                    if resume.is_visible():  # expanders in a closed tab stay closed
                        resume.click(timeout=5000)
                _attendre_streamlit(page)
                page.wait_for_timeout(1000)
                resultats[nom] = _partager(page, axe.auditer(page))
                if chemin == "carte" and _ouvrir_une_fiche(page):
                    resultats["Carte, fiche d'un lieu"] = _partager(page, axe.auditer(page))
            finally:
                page.close()
    return resultats


# --- output --------------------------------------------------------------------------------------

def ecrire_resultats(actuelle: dict[str, list[dict]], navigateur) -> Path:
    from diagnostics.carte_locale import accessibilite

    donnees = {
        "date": date.today().isoformat(),
        "axe_core": axe.version_axe(),
        "navigateur": axe.nom_navigateur(navigateur),
        "pages": {nom: axe.par_impact(v) for nom, v in actuelle.items()},
    }
    accessibilite.RESULTATS.write_text(json.dumps(donnees, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return accessibilite.RESULTATS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ecrire", action="store_true", help="écrire les chiffres de la carte pour sa déclaration")
    parser.add_argument("--sans-tableau-de-bord", action="store_true", help="ne pas auditer le tableau de bord")
    args = parser.parse_args(argv)
    try:
        axe.source_axe()
    except axe.AxeAbsent as exc:
        print(exc, file=sys.stderr)
        return 1
    import streamlit

    graves = 0
    with chromium() as navigateur, tempfile.TemporaryDirectory() as temporaire:
        dossier = Path(temporaire)
        print(f"axe-core {axe.version_axe()}, {axe.nom_navigateur(navigateur)}, règles WCAG 2.1 A et AA ; "
              "violations (règles enfreintes) : critiques / graves / modérées / mineures\n")
        actuelle = carte_actuelle(navigateur, dossier)
        precedente = carte_precedente(navigateur, dossier)
        nationale = demo_nationale(navigateur, dossier)
        largeurs = [28, 18, 24, 24]
        print("Carte locale")
        print(_ligne(["page", "cette version", f"version {VERSION_PRECEDENTE}", "démo nationale"], largeurs))
        for nom, violations in actuelle.items():
            graves += len(axe.graves(violations))
            print(_ligne([nom, _compte(violations), _compte((precedente or {}).get(nom)),
                          _compte((nationale or {}).get(nom))], largeurs))
        claire = carte_actuelle(navigateur, dossier, **COULEURS_CLAIRES)
        claire_precedente = carte_precedente(navigateur, dossier, **COULEURS_CLAIRES)
        print(f"Carte locale aux couleurs claires {COULEURS_CLAIRES['couleur']} / {COULEURS_CLAIRES['couleur_secondaire']}")
        for nom, violations in claire.items():
            graves += len(axe.graves(violations))
            print(_ligne([nom, _compte(violations), _compte((claire_precedente or {}).get(nom)), ""], largeurs))
        if nationale is not None:
            print("  (démo nationale : sa page d'accueil seulement ; liste et fiche n'ont pas d'équivalent direct)")
            for v in {v["id"]: v for violations in nationale.values() for v in violations}.values():
                print(f"    démo nationale [{v['impact']}] {v['id']} — {v['help']} : {v['nodes'][0]['target']}")
        print("\nRapport HTML")
        for nom, violations in rapport(navigateur).items():
            graves += len(axe.graves(violations))
            print(_ligne([nom, _compte(violations)], largeurs))
            for v in violations:
                print(f"    [{v['impact']}] {v['id']} — {v['help']}")
        if not args.sans_tableau_de_bord:
            print(f"\nTableau de bord (Streamlit {streamlit.__version__}), 1280 px")
            print(_ligne(["page", "notre HTML", "Streamlit"], largeurs))
            for nom, (notres, siennes) in tableau_de_bord(navigateur).items():
                print(_ligne([nom, _compte(notres), _compte(siennes)], largeurs))
                for v in notres:
                    print(f"    notre HTML [{v['impact']}] {v['id']} — {v['help']} : {v['nodes'][0]['target']}")
                for v in siennes:
                    print(f"    Streamlit [{v['impact']}] {v['id']} — {v['help']} : {v['nodes'][0]['target']}")
        if args.ecrire:
            print(f"\nChiffres de la carte écrits dans {ecrire_resultats(actuelle, navigateur).relative_to(ROOT)}")
    print(f"\n{graves} violation(s) grave(s) ou critique(s) sur la carte locale et le rapport.")
    return 1 if graves else 0


if __name__ == "__main__":
    sys.exit(main())
