"""`diagnostic rapport`: the fiche territoire (PPTX, PDF, HTML) and, on request, the indicator tables,
written into a folder."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_source, charger_argument, territoire_des_options


def ajouter(sub) -> None:
    p = sub.add_parser("rapport", help="produire la fiche territoire (PowerPoint, PDF, HTML) et les tableaux")
    ajouter_options_source(p, sortie="dossier où écrire les fichiers (créé s'il n'existe pas)")
    p.add_argument("--format", default="pptx,pdf,html", help="formats séparés par des virgules parmi pptx, pdf, html (défaut : les trois)")
    p.add_argument("--logo", help="image PNG ou JPEG à placer sur la page de titre")
    p.add_argument("--auteur", help="auteur ou organisation, écrit sur la couverture (« Préfecture du Finistère »)")
    p.add_argument("--rayon-km", type=float, default=10.0, help="distance des zones blanches (défaut 10 km)")
    p.add_argument("--tableaux", action="store_true", help="écrire aussi les tableaux d'indicateurs par commune et par EPCI (CSV et XLSX)")
    p.add_argument("--avant", help="ajouter l'évolution depuis cette photo (embarque, api, fichier, historique:AAAA-MM-JJ)")
    p.add_argument("--apres", help="photo la plus récente de l'évolution (défaut : la source de la fiche)")
    p.set_defaults(func=executer)


def _formats(texte: str) -> list[str]:
    from ..rapport import FORMATS

    formats = [f.strip().lower() for f in texte.split(",") if f.strip()]
    inconnus = [f for f in formats if f not in FORMATS]
    if not formats or inconnus:
        raise ErreurUtilisateur(
            f"Format inconnu ou absent « {texte} » : indiquez un ou plusieurs formats parmi pptx, pdf, html, séparés par des virgules."
        )
    return formats


def _logo(chemin: str | None) -> bytes | None:
    from ..rapport.contenu import LogoIllisible, type_logo

    if not chemin:
        return None
    try:
        donnees = Path(chemin).read_bytes()
        type_logo(donnees)
    except OSError as exc:
        raise ErreurUtilisateur(f"Impossible de lire le logo « {chemin} » : vérifiez le chemin du fichier.") from exc
    except LogoIllisible as exc:
        raise ErreurUtilisateur(str(exc)) from exc
    return donnees


def _evolution(args, territoire, resultat) -> dict | None:
    """The évolution slide's comparison when `--avant` is given (the report's own places are « après »
    unless `--apres` names another picture)."""
    if not args.avant and not args.apres:
        return None
    if not args.avant:
        raise ErreurUtilisateur("--apres demande aussi --avant : indiquez la photo la plus ancienne à comparer.")
    from ..evolution import comparer
    from .commun import charger_source

    avant = charger_source(territoire, args.avant, api_url=args.api_url, role="avant")
    apres = charger_source(territoire, args.apres, api_url=args.api_url, role="après") if args.apres else resultat
    return comparer(territoire, avant, apres, rayon_km=args.rayon_km).to_json()


def executer(args: argparse.Namespace) -> int:
    from ..diagnostic import diagnostic
    from ..indicators.par_commune import table_communes
    from ..rapport import ImagesIndisponibles, construire, fichiers_rapport, tableaux

    if not args.sortie:
        raise ErreurUtilisateur("Indiquez le dossier où écrire la fiche avec --sortie DOSSIER.")
    formats = _formats(args.format)
    logo = _logo(args.logo)
    dossier = Path(args.sortie)
    if dossier.exists() and not dossier.is_dir():
        raise ErreurUtilisateur(f"« {dossier} » est un fichier, pas un dossier : indiquez un dossier pour --sortie.")
    territoire = territoire_des_options(args)
    resultat = charger_argument(args, territoire)
    diag = diagnostic(territoire, resultat.lieux, resultat.source, rayon_km=args.rayon_km)
    evolution = _evolution(args, territoire, resultat)
    table = table_communes(territoire, resultat.lieux, rayon_km=args.rayon_km)
    try:
        contenu = construire(diag, table, lieux=resultat.lieux, auteur=args.auteur, evolution=evolution)
        fichiers = fichiers_rapport(contenu, formats, logo=logo)
    except ImagesIndisponibles as exc:
        raise ErreurUtilisateur(str(exc)) from exc
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
        raise ErreurUtilisateur(f"Impossible d'écrire dans « {dossier} » ({exc.strerror}) : choisissez un dossier accessible en écriture.") from exc
    for nom in fichiers:
        print(dossier / nom)
    print(
        f"{territoire.libelle} : {len(fichiers)} fichiers écrits dans {dossier} "
        f"(source : {resultat.source.libelle}, données du {resultat.source.date or 'date inconnue'}).",
        file=sys.stderr,
    )
    return 0
