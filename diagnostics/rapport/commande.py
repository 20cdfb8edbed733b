"""`diagnostic rapport`: the fiche territoire (PPTX, PDF, HTML) and, on request, the indicator tables,
written into a folder."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import cli


def ajouter_commande(sub) -> None:
    """Add the `rapport` subcommand to the `diagnostic` command's subparsers."""
    p = sub.add_parser("rapport", help="produire la fiche territoire (PowerPoint, PDF, HTML) et les tableaux")
    p.add_argument("--territoire", "-t", required=True, help="france, reg:53, dep:29, epci:242900314, commune:29019 ou un nom")
    p.add_argument(
        "--source", default="embarque",
        help="embarque (défaut, hors ligne), api (API nationale), dataspace (jeton DIAGNOSTIC_DATASPACE_TOKEN) ou le chemin d'un fichier",
    )
    p.add_argument("--api-url", help="adresse de l'API (défaut : DIAGNOSTIC_API_URL ou l'API nationale)")
    p.add_argument("--repli-embarque", action="store_true", help="si la source en ligne échoue sans cache, utiliser l'instantané embarqué")
    p.add_argument("--format", default="pptx,pdf,html", help="formats séparés par des virgules parmi pptx, pdf, html (défaut : les trois)")
    p.add_argument("--sortie", "-o", required=True, help="dossier où écrire les fichiers (créé s'il n'existe pas)")
    p.add_argument("--logo", help="image PNG ou JPEG à placer sur la page de titre")
    p.add_argument("--rayon-km", type=float, default=10.0, help="distance des zones blanches (défaut 10 km)")
    p.add_argument("--tableaux", action="store_true", help="écrire aussi les tableaux d'indicateurs par commune et par EPCI (CSV et XLSX)")
    p.set_defaults(func=cmd_rapport)


def _formats(texte: str) -> list[str]:
    from . import FORMATS

    formats = [f.strip().lower() for f in texte.split(",") if f.strip()]
    inconnus = [f for f in formats if f not in FORMATS]
    if not formats or inconnus:
        raise cli.ErreurUtilisateur(
            f"Format inconnu ou absent « {texte} » : indiquez un ou plusieurs formats parmi pptx, pdf, html, séparés par des virgules."
        )
    return formats


def _logo(chemin: str | None) -> bytes | None:
    from .contenu import LogoIllisible, type_logo

    if not chemin:
        return None
    try:
        donnees = Path(chemin).read_bytes()
        type_logo(donnees)
    except OSError as exc:
        raise cli.ErreurUtilisateur(f"Impossible de lire le logo « {chemin} » : vérifiez le chemin du fichier.") from exc
    except LogoIllisible as exc:
        raise cli.ErreurUtilisateur(str(exc)) from exc
    return donnees


def cmd_rapport(args: argparse.Namespace) -> int:
    from . import ImagesIndisponibles, construire, fichiers_rapport, tableaux
    from ..diagnostic import diagnostic
    from ..indicators.par_commune import table_communes

    formats = _formats(args.format)
    logo = _logo(args.logo)
    dossier = Path(args.sortie)
    if dossier.exists() and not dossier.is_dir():
        raise cli.ErreurUtilisateur(f"« {dossier} » est un fichier, pas un dossier : indiquez un dossier pour --sortie.")
    territoire = cli.territoire_argument(args.territoire)
    resultat = cli.charger_argument(args, territoire)
    diag = diagnostic(territoire, resultat.lieux, resultat.source, rayon_km=args.rayon_km)
    table = table_communes(territoire, resultat.lieux, rayon_km=args.rayon_km)
    try:
        fichiers = fichiers_rapport(construire(diag, table, lieux=resultat.lieux), formats, logo=logo)
    except ImagesIndisponibles as exc:
        raise cli.ErreurUtilisateur(str(exc)) from exc
    if args.tableaux:
        fichiers.update(tableaux.fichiers(territoire.nom, [
            tableaux.table_par_commune(table),
            tableaux.table_par_epci(territoire, resultat.lieux, rayon_km=args.rayon_km),
        ]))
    try:
        dossier.mkdir(parents=True, exist_ok=True)
        for nom, donnees in fichiers.items():
            (dossier / nom).write_bytes(donnees)
    except OSError as exc:
        raise cli.ErreurUtilisateur(f"Impossible d'écrire dans « {dossier} » ({exc.strerror}) : choisissez un dossier accessible en écriture.") from exc
    for nom in fichiers:
        print(dossier / nom)
    print(
        f"{territoire.libelle} : {len(fichiers)} fichiers écrits dans {dossier} "
        f"(source : {resultat.source.libelle}, données du {resultat.source.date or 'date inconnue'}).",
        file=sys.stderr,
    )
    return 0
