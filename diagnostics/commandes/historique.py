"""`diagnostic historique`: the dated pictures kept for a territory, and adding or removing one."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_territoire, territoire_des_options


def ajouter(sub) -> None:
    p = sub.add_parser("historique", help="lister, ajouter ou retirer les photos datées des lieux d'un territoire")
    ajouter_options_territoire(p)
    action = p.add_mutually_exclusive_group()
    action.add_argument("--ajouter", metavar="FICHIER", help="garder ce fichier de lieux comme photo du territoire")
    action.add_argument("--retirer", metavar="REF", help="retirer la photo historique:… indiquée")
    p.add_argument("--date", help="date des données du fichier ajouté (AAAA-MM-JJ ; défaut : sa date_maj la plus récente)")
    p.set_defaults(func=executer)


def executer(args: argparse.Namespace) -> int:
    from ..sources.historique import Historique, PhotoIntrouvable

    territoire = territoire_des_options(args)
    historique = Historique()
    if args.ajouter:
        photo = _ajouter(historique, territoire, Path(args.ajouter), args.date)
        print(photo.ref)
        print(f"{territoire.libelle} : {photo.description}", file=sys.stderr)
        return 0
    if args.retirer:
        try:
            photo = historique.trouver(args.retirer, territoire.id)
        except PhotoIntrouvable as exc:
            raise ErreurUtilisateur(str(exc)) from exc
        historique.retirer(photo)
        print(f"{territoire.libelle} : photo du {photo.jour} retirée ({photo.libelle}).", file=sys.stderr)
        return 0
    photos = historique.photos(territoire.id)
    for photo in photos:
        print("\t".join([photo.ref, photo.date, photo.source, str(photo.lignes), photo.territoire, photo.libelle]))
    for chemin, raison in historique.illisibles(territoire.id):
        print(f"Photo écartée : {chemin.name} ({raison})", file=sys.stderr)
    nombre = f"{len(photos)} photo" + ("" if len(photos) == 1 else "s")
    print(f"{territoire.libelle} : {nombre} dans {historique.directory}", file=sys.stderr)
    return 0


def _ajouter(historique, territoire, chemin: Path, date: str | None):
    from ..places import restreindre
    from ..sources.fichier import FichierIllisible, charger_fichier

    try:
        contenu = chemin.read_bytes()
    except OSError as exc:
        raise ErreurUtilisateur(f"Fichier illisible « {chemin} » ({exc.strerror}) : vérifiez son chemin.") from exc
    try:
        lus = charger_fichier(contenu, chemin.name)  # read first: a file that cannot be read is not kept
    except FichierIllisible as exc:
        raise ErreurUtilisateur(str(exc)) from exc
    lignes = len(restreindre(lus.lieux, territoire, 0))
    try:
        return historique.ajouter_fichier(contenu, chemin.name, territoire.id, date or lus.source.date[:10], lignes)
    except ValueError as exc:
        raise ErreurUtilisateur(str(exc)) from exc
    except OSError as exc:
        raise ErreurUtilisateur(f"Impossible d'écrire l'historique dans « {historique.directory} » ({exc.strerror}).") from exc
