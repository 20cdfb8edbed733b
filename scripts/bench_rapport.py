"""Report benchmark: the whole fiche territoire (PowerPoint, PDF, HTML) for a territory (default the Nord,
the most populated département), warm.

"Warm" means the process has already loaded the reference data and started its Chromium for the
charts once, as a running app or a CLI loop over territories has. Prints each step and the total;
target: the content and the PowerPoint in < 10 s; the three formats' total is printed too.
Usage: `python scripts/bench_rapport.py [territory]` (default dep:59).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics import territories  # noqa: E402
from diagnostics.diagnostic import diagnostic  # noqa: E402
from diagnostics.indicators.par_commune import table_communes  # noqa: E402
from diagnostics.places import charger_lieux  # noqa: E402
from diagnostics.rapport import construire, html, pdf, pptx  # noqa: E402

CIBLE_S = 10.0


def deck(identifiant: str) -> tuple[dict[str, float], int]:
    temps: dict[str, float] = {}
    debut = time.perf_counter()

    def etape(nom: str) -> None:
        nonlocal debut
        temps[nom] = time.perf_counter() - debut
        debut = time.perf_counter()

    t = territories.resolve(identifiant)
    resultat = charger_lieux(t, "embarque")
    etape("lieux")
    diag = diagnostic(t, resultat.lieux, resultat.source)
    table = table_communes(t, resultat.lieux)
    etape("diagnostic et table par commune")
    contenu = construire(diag, table, lieux=resultat.lieux)
    etape("contenu et carte statique")
    donnees = pptx.presentation(contenu)
    etape("graphiques PNG (kaleido) et PowerPoint")
    page = html.page(contenu)
    etape("graphiques SVG (kaleido) et HTML")
    pdf.imprimer(page)
    etape("PDF (impression par Chromium)")
    return temps, len(donnees)


def main() -> int:
    identifiant = sys.argv[1] if len(sys.argv) > 1 else "dep:59"
    froid, _ = deck(identifiant)
    print(f"À froid : {sum(froid.values()):.1f} s (démarrage de Chromium et chargements compris)")
    chaud, taille = deck(identifiant)
    for nom, secondes in chaud.items():
        print(f"  {nom} : {secondes:.2f} s")
    total = sum(s for n, s in chaud.items() if "HTML" not in n and "PDF" not in n)
    print(f"{territories.resolve(identifiant).libelle} : PowerPoint de {taille / 1e6:.1f} Mo en {total:.1f} s à chaud "
          f"(cible < {CIBLE_S:.0f} s) : {'OK' if total < CIBLE_S else 'TROP LENT'} ; "
          f"les trois formats en {sum(chaud.values()):.1f} s")
    return 0 if total < CIBLE_S else 1


if __name__ == "__main__":
    sys.exit(main())
