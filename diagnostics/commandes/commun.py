"""What every subcommand shares: the user-error type, territory and source arguments, writing output.

Kept free of heavy imports (geopandas, folium…): the parser is built from these before any
subcommand runs, and `diagnostic --help` must not pay for what it does not use.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_ERREUR = 1
AIDE_TERRITOIRE = "france, reg:53, dep:29, epci:242900314, commune:29019 ou un nom"
AIDE_SOURCE = (
    "embarque (défaut, hors ligne), api (API nationale), dataspace (jeton DIAGNOSTIC_DATASPACE_TOKEN) "
    "ou le chemin d'un fichier"
)


class ErreurUtilisateur(Exception):
    """A problem the user can fix; the message is printed as is."""


def territoire_argument(valeur: str):
    """The Territoire a `--territoire` value names, or an ErreurUtilisateur with the French reason."""
    from .. import territories

    try:
        return territories.resolve(valeur)
    except territories.TerritoireInconnu as exc:
        raise ErreurUtilisateur(str(exc)) from exc


def charger_argument(args, territoire):
    """The places (`places.Lieux`) of `territoire` from the source the arguments name."""
    from ..places import charger_lieux
    from ..sources.base import SourceIndisponible

    try:
        return charger_lieux(
            territoire,
            args.source,
            api_url=args.api_url,
            repli_embarque=args.repli_embarque,
            progress=_progress_stderr if args.source in ("api", "dataspace") else None,
        )
    except SourceIndisponible as exc:
        conseil = "" if args.repli_embarque else " Ajoutez --repli-embarque pour utiliser l'instantané embarqué."
        raise ErreurUtilisateur(f"{exc}{conseil}") from exc


def _progress_stderr(recu: int, total: int | None, message: str) -> None:
    if sys.stderr.isatty():
        taille = f"{recu / 1e6:.1f} Mo" + (f" / {total / 1e6:.1f} Mo" if total else "")
        print(f"\r{message} {taille}", end="", file=sys.stderr, flush=True)


def ajouter_options_source(p: argparse.ArgumentParser, *, sortie: str = "fichier de sortie (défaut : sortie standard)") -> None:
    """The territory, source and output options of the commands that read a territory's places."""
    p.add_argument("--territoire", "-t", required=True, help=AIDE_TERRITOIRE)
    p.add_argument("--source", default="embarque", help=AIDE_SOURCE)
    p.add_argument("--api-url", help="adresse de l'API (défaut : DIAGNOSTIC_API_URL ou l'API nationale)")
    p.add_argument(
        "--repli-embarque",
        action="store_true",
        help="si la source en ligne échoue sans cache, utiliser l'instantané embarqué au lieu d'échouer",
    )
    p.add_argument("--sortie", "-o", help=sortie)


def ecrire_texte(texte: str, sortie: str | None) -> None:
    """`texte` into the file `sortie`, or on standard output without one."""
    if sortie:
        Path(sortie).write_text(texte, encoding="utf-8")
    else:
        sys.stdout.write(texte)


def nombre(n: int) -> str:
    """An integer with French thousands separators (narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")
