"""What every subcommand shares: the user-error type, territory and source arguments, writing output.

Kept free of heavy imports (geopandas, folium…): the parser is built from these before any
subcommand runs, and `diagnostic --help` must not pay for what it does not use.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_ERREUR = 1
AIDE_TERRITOIRE = (
    "france, reg:53, dep:29, epci:242900314, arr:291, commune:29019, un nom, ou un périmètre : "
    "\"perimetre:Nom=epci:242900694,commune:29019\""
)
AIDE_TERRITOIRE_FICHIER = "périmètre lu dans un fichier : CSV ou XLSX (une colonne de codes INSEE) ou JSON enregistré par l'application"
AIDE_SOURCE = (
    "embarque (défaut, hors ligne), api (API nationale), dataspace (jeton DIAGNOSTIC_DATASPACE_TOKEN) "
    "ou le chemin d'un fichier"
)


class ErreurUtilisateur(Exception):
    """A problem the user can fix; the message is printed as is."""


def territoire_argument(valeur: str):
    """The Territoire a `--territoire` value names, or an ErreurUtilisateur with the French reason."""
    from .. import perimetres, territories

    try:
        return perimetres.resoudre(valeur)
    except territories.TerritoireInconnu as exc:
        raise ErreurUtilisateur(str(exc)) from exc


def territoire_des_options(args):
    """The Territoire of `--territoire`, or the perimeter of `--territoire-fichier` named by `--nom`
    (every code must be understood: the unknown ones are listed); None when neither is given."""
    if not getattr(args, "territoire_fichier", None):
        return territoire_argument(args.territoire) if args.territoire else None
    from .. import perimetres

    chemin = Path(args.territoire_fichier)
    try:
        contenu = chemin.read_bytes()
    except OSError as exc:
        raise ErreurUtilisateur(f"Fichier de périmètre illisible « {chemin} » ({exc.strerror}) : vérifiez son chemin.") from exc
    try:
        if chemin.suffix.lower() == ".json":
            analyse, pairs = perimetres.depuis_json(contenu)
            if args.nom:
                analyse.nom = perimetres.nettoyer_nom(args.nom)
        else:
            analyse, pairs = perimetres.lire_fichier_codes(contenu, chemin.name, args.nom), []
        perimetres.exiger_complet(analyse)
        return analyse.territoire(pairs)
    except perimetres.PerimetreInvalide as exc:
        raise ErreurUtilisateur(str(exc)) from exc


def ajouter_options_territoire(p: argparse.ArgumentParser, *, obligatoire: bool = True, aide: str = AIDE_TERRITOIRE) -> None:
    """`--territoire`, or `--territoire-fichier FICHIER --nom NOM` for a perimeter read from a file."""
    groupe = p.add_mutually_exclusive_group(required=obligatoire)
    groupe.add_argument("--territoire", "-t", help=aide)
    groupe.add_argument("--territoire-fichier", metavar="FICHIER", help=AIDE_TERRITOIRE_FICHIER)
    p.add_argument("--nom", help="nom du périmètre lu avec --territoire-fichier")


def charger_argument(args, territoire):
    """The places (`places.Lieux`) of `territoire` from the source the arguments name."""
    conseil = "" if args.repli_embarque else " Ajoutez --repli-embarque pour utiliser l'instantané embarqué."
    return charger_source(territoire, args.source, api_url=args.api_url, repli_embarque=args.repli_embarque,
                          conseil=conseil)


def charger_source(
    territoire, source: str, *, api_url: str | None = None, repli_embarque: bool = False, role: str = "",
    conseil: str = "",
):
    """The places of `territoire` from one named source; without `repli_embarque` a failed online
    source is an error, not the snapshot in its place (a comparison of two pictures must not compare
    the snapshot with itself). `role` names the picture and `conseil` ends the error message."""
    from ..places import charger_lieux
    from ..sources.base import SourceIndisponible

    try:
        return charger_lieux(
            territoire,
            source,
            api_url=api_url,
            repli_embarque=repli_embarque,
            progress=_progress_stderr if source in ("api", "dataspace") else None,
        )
    except SourceIndisponible as exc:
        quelle = f"Photo « {role} » : " if role else ""
        raise ErreurUtilisateur(f"{quelle}{exc}{conseil}") from exc


def _progress_stderr(recu: int, total: int | None, message: str) -> None:
    if sys.stderr.isatty():
        taille = f"{recu / 1e6:.1f} Mo" + (f" / {total / 1e6:.1f} Mo" if total else "")
        print(f"\r{message} {taille}", end="", file=sys.stderr, flush=True)


def ajouter_options_source(p: argparse.ArgumentParser, *, sortie: str = "fichier de sortie (défaut : sortie standard)") -> None:
    """The territory, source and output options of the commands that read a territory's places."""
    ajouter_options_territoire(p)
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
