"""`diagnostic evolution`: what changed in a territory's offer between two pictures of its places."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_territoire, charger_source, ecrire_texte, territoire_des_options

AIDE_PHOTO = (
    "embarque (instantané embarqué), api (API nationale, téléchargée maintenant), dataspace, le chemin d'un "
    "fichier, ou une photo de l'historique : historique:AAAA-MM-JJ (voir `diagnostic historique`)"
)


def ajouter(sub) -> None:
    p = sub.add_parser("evolution", help="comparer deux photos des lieux d'un territoire (ouvertures, fermetures, changements)")
    ajouter_options_territoire(p)
    p.add_argument("--avant", required=True, help=f"photo la plus ancienne : {AIDE_PHOTO}")
    p.add_argument("--apres", required=True, help=f"photo la plus récente : {AIDE_PHOTO}")
    p.add_argument("--api-url", help="adresse de l'API (défaut : DIAGNOSTIC_API_URL ou l'API nationale)")
    p.add_argument("--rayon-km", type=float, default=10.0, help="distance des zones blanches (défaut 10 km)")
    p.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
    p.add_argument("--sortie", "-o", help="fichier de sortie (défaut : sortie standard ; obligatoire en xlsx)")
    p.set_defaults(func=executer)


def executer(args: argparse.Namespace) -> int:
    from ..evolution import comparer

    if args.format == "xlsx" and not args.sortie:
        raise ErreurUtilisateur("Le format xlsx s'écrit dans un fichier : indiquez-le avec --sortie FICHIER.xlsx.")
    territoire = territoire_des_options(args)
    avant = charger_source(territoire, args.avant, api_url=args.api_url, role="avant")
    apres = charger_source(territoire, args.apres, api_url=args.api_url, role="après")
    evolution = comparer(territoire, avant, apres, rayon_km=args.rayon_km)
    if args.format == "json":
        ecrire_texte(json.dumps(evolution.to_json(), ensure_ascii=False, indent=2) + "\n", args.sortie)
    elif args.format == "csv":
        from ..views.tableaux_evolution import csv_changements

        ecrire_texte(csv_changements(evolution).decode("utf-8"), args.sortie)
    else:
        from ..views.tableaux_evolution import xlsx_evolution

        try:
            Path(args.sortie).write_bytes(xlsx_evolution(evolution))
        except OSError as exc:
            raise ErreurUtilisateur(f"Impossible d'écrire « {args.sortie} » ({exc.strerror}) : choisissez un fichier accessible en écriture.") from exc
    for ligne in evolution.resume():
        print(f"{territoire.libelle} : {ligne}", file=sys.stderr)
    return 0
