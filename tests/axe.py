"""Accessibility audit of a Playwright page with axe-core (WCAG 2.1 A and AA rules), for the tests and
`make audit-a11y`.

axe-core comes from the npm registry at set-up (devDependency of package.json, in node_modules/) and is
injected into the page and each of its frames through the DevTools protocol, which a page's
Content-Security-Policy does not block: the audited page is the page as served, CSP included.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The rules RGAA 4.1 builds on: WCAG 2.0 and 2.1, levels A and AA.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
IMPACTS = ("critical", "serious", "moderate", "minor")
GRAVES = ("critical", "serious")


class AxeAbsent(RuntimeError):
    """axe-core is not installed (French message saying how to install it)."""


def source_axe() -> str:
    """The axe-core script installed by `make assets` (npm ci)."""
    if not AXE_JS.exists():
        raise AxeAbsent(
            f"axe-core est introuvable ({AXE_JS}) : lancez `make assets` (npm ci) à la racine du projet."
        )
    return AXE_JS.read_text(encoding="utf-8")


def version_axe() -> str:
    """Version of the installed axe-core, e.g. "4.14.1"."""
    import json

    return json.loads((AXE_JS.parent / "package.json").read_text(encoding="utf-8"))["version"]


def nom_navigateur(navigateur) -> str:
    """"Chromium 156" for a Playwright browser (major version only: the statement stays true across patches)."""
    return f"Chromium {navigateur.version.split('.')[0]}"


def injecter(page) -> None:
    """Load axe-core into the page and every frame of it (axe asks the frames for their results)."""
    source = source_axe()
    for frame in page.frames:
        try:
            if not frame.evaluate("() => typeof window.axe !== 'undefined'"):
                frame.evaluate(f"() => {{ {source}\n }}")
        except Exception:  # noqa: BLE001 - a frame detached while Streamlit reran: nothing left to audit there
            continue


def auditer(page, *, inclure: str | None = None, exclure: tuple[str, ...] = (), tags: tuple[str, ...] = TAGS) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations.

    Parameters
    ----------
    page : a Playwright (sync) Page, loaded and in the state to audit.
    inclure : CSS selector of the part to audit (None = the whole document).
    exclure : CSS selectors left out (e.g. a third-party widget audited apart).
    tags : axe rule tags; WCAG 2.1 A and AA by default.

    Returns
    -------
    axe's violations: one dict per rule broken, with `id`, `impact` (critical, serious, moderate,
    minor), `help`, `helpUrl` and `nodes` (each with `target` and `failureSummary`).
    """
    injecter(page)
    contexte = {"include": [[inclure]] if inclure else [["html"]], "exclude": [[s] for s in exclure]}
    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    resultat = page.evaluate(
        "([contexte, options]) => window.axe.run(contexte, options).then(r => r.violations)", [contexte, options]
    )
    return [
        {k: v[k] for k in ("id", "impact", "help", "helpUrl")}
        | {"nodes": [{"target": n["target"], "failureSummary": n.get("failureSummary", "")} for n in v["nodes"]]}
        for v in resultat
    ]


def par_impact(violations: list[dict]) -> dict[str, int]:
    """Number of rules broken for each impact, every impact present (0 when none)."""
    comptes = Counter(v["impact"] or "minor" for v in violations)
    return {impact: comptes.get(impact, 0) for impact in IMPACTS}


def graves(violations: list[dict]) -> list[dict]:
    """The serious and critical violations only."""
    return [v for v in violations if v["impact"] in GRAVES]


def resume(violations: list[dict]) -> str:
    """One line per violation (impact, rule, first targets), to read in a failed assertion."""
    return "\n".join(
        f"[{v['impact']}] {v['id']} — {v['help']} : {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in violations
    ) or "aucune violation"


def attendre_carte(page, delai_s: float = 5.0) -> None:
    """Wait until the Leaflet map has stopped zooming and its clusters have stopped fading.

    axe measures colours as drawn: a cluster caught half-transparent in a zoom animation reads as a
    contrast failure that no reader sees once the map is still. Polled from Python, since a page's CSP
    may forbid the eval behind Playwright's wait_for_function.
    """
    import time

    fin, calme = time.monotonic() + delai_s, 0
    while time.monotonic() < fin and calme < 3:
        anime = page.locator(".leaflet-cluster-anim, .leaflet-zoom-anim").count() > 0
        calme = 0 if anime else calme + 1
        time.sleep(0.1)
    page.wait_for_timeout(400)  # markercluster's opacity transition lasts 0.3 s


# The local map's audited states, at a phone's and a desktop's width (name → viewport).
ECRANS = {"375 px": {"width": 375, "height": 667}, "1280 px": {"width": 1280, "height": 800}}


def auditer_carte_locale(navigateur, index: Path) -> dict[str, list[dict]]:
    """Audit a generated local map: home, list filtered by the first service, a place's detail, per screen.

    Returns page name (e.g. "Fiche d'un lieu, 375 px") → violations. The network is cut: only file: URLs load.
    """
    resultats = {}
    for ecran, vue in ECRANS.items():
        contexte = navigateur.new_context(viewport=vue, locale="fr-FR", timezone_id="Europe/Paris")
        contexte.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        try:
            page = contexte.new_page()
            page.goto(Path(index).as_uri())
            page.wait_for_selector("body[data-pret]", timeout=15000)
            attendre_carte(page)
            resultats[f"Accueil, {ecran}"] = auditer(page)
            if page.locator("select[data-champ] option").count() > 1:
                page.locator("select[data-champ]").first.select_option(index=1)
            attendre_carte(page)
            resultats[f"Liste filtrée, {ecran}"] = auditer(page)
            page.locator("#liste button[data-id]").first.click()
            page.wait_for_selector("#detail:not([hidden])")
            attendre_carte(page)  # the map zooms to the chosen place
            resultats[f"Fiche d'un lieu, {ecran}"] = auditer(page)
        finally:
            contexte.close()
    return resultats


TERRITOIRE_AUDITE = "commune:29019"  # Brest: real places from the embedded snapshot, filters with values


def construire_carte_auditee(dossier: Path, **options):
    """The local map the audit and the accessibility statement speak of: Brest, embedded data, no tiles."""
    from diagnostics import territories
    from diagnostics.carte_locale import construire_site, options_carte
    from diagnostics.places import charger_lieux

    territoire = territories.resolve(TERRITOIRE_AUDITE)
    resultat = charger_lieux(territoire, "embarque")
    return construire_site(
        territoire, resultat.lieux, resultat.source, dossier, options_carte(fond_de_carte=False, **options)
    )
