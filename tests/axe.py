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
