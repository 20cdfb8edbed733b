"""The command line `diagnostic` (also `python -m diagnostics`): one module per subcommand.

Each module registers its arguments (`ajouter`) and imports what it needs only when it runs
(`executer`), so a command pays only for what it does. Every failure a user can cause (unknown
territory, unreachable API without cache, unreadable file) ends with one French line on stderr and a
non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import sys

from . import carte_locale, evolution, historique, indicateurs, lieux, rapport, territoires, valider
from .commun import EXIT_ERREUR, ErreurUtilisateur

SOUS_COMMANDES = (territoires, lieux, indicateurs, evolution, historique, valider, carte_locale, rapport)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diagnostic", description="Diagnostic territorial des lieux d'inclusion numérique.")
    sub = p.add_subparsers(dest="commande", required=True)
    for module in SOUS_COMMANDES:
        module.ajouter(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ErreurUtilisateur as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_ERREUR
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - last resort: one French line, never a traceback
        print(f"Erreur inattendue ({type(exc).__name__}) : {exc}. Signalez-la avec la commande utilisée.", file=sys.stderr)
        return EXIT_ERREUR
