"""Command line `diagnostic` (also `python -m diagnostics`): territories, places, indicators.

Every failure a user can cause (unknown territory, unreachable API without cache, unreadable file)
ends with one French line on stderr and a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

from . import territories
from .sources.base import SourceIndisponible

EXIT_ERREUR = 1


class ErreurUtilisateur(Exception):
    """A problem the user can fix; the message is printed as is."""


def territoire_argument(valeur: str):
    try:
        return territories.resolve(valeur)
    except territories.TerritoireInconnu as exc:
        raise ErreurUtilisateur(str(exc)) from exc


def charger_argument(args, territoire):
    from .places import charger_lieux

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


def cmd_territoires(args) -> int:
    resultats = territories.search(args.recherche, limit=args.limite)
    if not resultats:
        raise ErreurUtilisateur(
            f"Aucun territoire ne correspond à « {args.recherche} » : essayez un nom de commune, d'EPCI, "
            "de département ou de région, ou un code (29, 29019, 242900314)."
        )
    for t in resultats:
        print(f"{t.id}\t{t.nom}\t{t.niveau}\t{t.population}")
    return 0


def _nombre(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def cmd_lieux(args) -> int:
    from .places import dans_territoire
    from .standard import io as std_io
    from .standard.fields import PIVOT_INCONNU
    from .standard.validate import row_problems

    territoire = territoire_argument(args.territoire)
    resultat = charger_argument(args, territoire)
    lieux = resultat.lieux[dans_territoire(resultat.lieux, territoire)].reset_index(drop=True)
    problemes = row_problems(lieux)
    prets = problemes.map(len).eq(0)
    exportes, ecartes = lieux[prets].reset_index(drop=True), lieux[~prets]

    if args.format == "xlsx" and not args.sortie:
        raise ErreurUtilisateur("Le format xlsx s'écrit dans un fichier : ajoutez --sortie lieux.xlsx.")
    writers = {"csv": std_io.to_standard_csv, "json": std_io.to_json, "geojson": std_io.to_geojson, "xlsx": std_io.to_xlsx}
    if args.sortie:
        writers[args.format](exportes, Path(args.sortie))
    else:
        buffer = io.StringIO()
        writers[args.format](exportes, buffer)
        sys.stdout.write(buffer.getvalue())

    if args.rapport:
        _ecrire_rapport(ecartes, problemes[~prets], Path(args.rapport))
    pivots = int((exportes["pivot"] == PIVOT_INCONNU).sum())
    resume = (
        f"{territoire.libelle} : {_nombre(len(exportes))} lieux écrits "
        f"(source : {resultat.source.libelle}, données du {resultat.source.date or 'date inconnue'}) ; "
        f"{_nombre(pivots)} sans SIRET connu, pivot rempli par la convention du standard {PIVOT_INCONNU}"
    )
    if len(ecartes):
        resume += f" ; {_nombre(len(ecartes))} lieux incomplets non exportés" + (
            f" (détail dans {args.rapport})" if args.rapport else " (ajoutez --rapport FICHIER pour le détail)"
        )
    if resultat.source.message and resultat.source.repli:
        resume += f" ; {resultat.source.message}"
    print(resume, file=sys.stderr)
    return 0


def _ecrire_rapport(ecartes, problemes, path: Path) -> None:
    from .exports import csv_tableur

    table = ecartes[["id", "nom", "commune", "origine", "ligne_source"]].copy()
    table["problemes"] = problemes.map("; ".join)
    csv_tableur(table, path)


def cmd_indicateurs(args) -> int:
    from .diagnostic import diagnostic, table_unites

    territoire = territoire_argument(args.territoire)
    resultat = charger_argument(args, territoire)
    if args.format == "csv":
        table = table_unites(territoire, resultat.lieux, rayon_km=args.rayon_km)
        from .exports import csv_tableur

        buffer = io.StringIO()
        csv_tableur(table, buffer)
        _ecrire_texte(buffer.getvalue(), args.sortie)
    else:
        osrm = args.osrm_url or os.environ.get("DIAGNOSTIC_OSRM_URL") or None
        resultat_json = diagnostic(territoire, resultat.lieux, resultat.source, rayon_km=args.rayon_km, osrm_url=osrm)
        _ecrire_texte(json.dumps(resultat_json, ensure_ascii=False, indent=2) + "\n", args.sortie)
    return 0


def _ecrire_texte(texte: str, sortie: str | None) -> None:
    if sortie:
        Path(sortie).write_text(texte, encoding="utf-8")
    else:
        sys.stdout.write(texte)


def ajouter_options_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--territoire", "-t", required=True, help="france, reg:53, dep:29, epci:242900314, commune:29019 ou un nom")
    p.add_argument(
        "--source",
        default="embarque",
        help="embarque (défaut, hors ligne), api (API nationale), dataspace (jeton DIAGNOSTIC_DATASPACE_TOKEN) ou le chemin d'un fichier",
    )
    p.add_argument("--api-url", help="adresse de l'API (défaut : DIAGNOSTIC_API_URL ou l'API nationale)")
    p.add_argument(
        "--repli-embarque",
        action="store_true",
        help="si la source en ligne échoue sans cache, utiliser l'instantané embarqué au lieu d'échouer",
    )
    p.add_argument("--sortie", "-o", help="fichier de sortie (défaut : sortie standard)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diagnostic", description="Diagnostic territorial des lieux d'inclusion numérique.")
    sub = p.add_subparsers(dest="commande", required=True)

    t = sub.add_parser("territoires", help="chercher un territoire par nom ou code")
    t.add_argument("recherche")
    t.add_argument("--limite", type=int, default=20)
    t.set_defaults(func=cmd_territoires)

    lieux = sub.add_parser("lieux", help="exporter les lieux d'un territoire au standard")
    ajouter_options_source(lieux)
    lieux.add_argument("--format", choices=["csv", "json", "geojson", "xlsx"], default="csv")
    lieux.add_argument("--rapport", help="fichier CSV listant les lieux incomplets non exportés et pourquoi")
    lieux.set_defaults(func=cmd_lieux)

    ind = sub.add_parser("indicateurs", help="calculer le diagnostic d'un territoire")
    ajouter_options_source(ind)
    ind.add_argument("--rayon-km", type=float, default=10.0, help="distance des zones blanches (défaut 10 km)")
    ind.add_argument("--format", choices=["json", "csv"], default="json")
    ind.add_argument(
        "--osrm-url", help="serveur OSRM pour ajouter les temps de trajet par la route (défaut : DIAGNOSTIC_OSRM_URL)"
    )
    ind.set_defaults(func=cmd_indicateurs)

    # Commands that live with their feature (standardization, local map), registered here.
    from .carte_locale.commande import ajouter_commande as carte_locale
    from .rapport.commande import ajouter_commande as rapport
    from .standard.commande import ajouter_commande as valider

    valider(sub)
    carte_locale(sub)
    rapport(sub)
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


if __name__ == "__main__":
    sys.exit(main())
