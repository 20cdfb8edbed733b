"""`diagnostic valider FICHIER`: standardize and validate a collector's file, write the outputs to a folder.
Exit 0 when valid, 1 when blocking problems remain (outputs still written), 2 when the file cannot be
read at all."""
from __future__ import annotations

import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_territoire, territoire_des_options

EXIT_ILLISIBLE = 2


def ajouter(sub) -> None:
    p = sub.add_parser(
        "valider", help="standardiser et valider un fichier de lieux au standard, et le comparer aux données nationales"
    )
    p.add_argument("fichier", help="fichier CSV, XLSX, JSON ou GeoJSON")
    p.add_argument("--correspondance", "-c", help="correspondance des colonnes (JSON enregistré par la page ou par cette commande)")
    p.add_argument("--sortie", "-o", default="validation", help="dossier des fichiers produits (défaut : ./validation)")
    p.add_argument("--feuille", help="feuille du classeur XLSX à lire (défaut : la première)")
    ajouter_options_territoire(
        p, obligatoire=False, aide="territoire pour comparer avec les données nationales embarquées (dep:29, commune:29019…)"
    )
    p.add_argument(
        "--ban", action="store_true",
        help="géocoder les adresses sans coordonnées avec la Base Adresse Nationale (en ligne ; DIAGNOSTIC_BAN_URL)",
    )
    p.set_defaults(func=executer)


def executer(args) -> int:
    from ..sources.fichier import FichierIllisible
    from ..standard.correspondance import Correspondance
    from ..mise_a_jour import mettre_a_jour

    chemin = Path(args.fichier)
    if not chemin.is_file():
        print(f"Erreur : le fichier « {args.fichier} » n'existe pas : vérifiez son chemin.", file=sys.stderr)
        return EXIT_ILLISIBLE
    correspondance = None
    if args.correspondance:
        try:
            correspondance = Correspondance.from_json(Path(args.correspondance).read_bytes())
        except OSError as exc:
            raise ErreurUtilisateur(f"Le fichier de correspondance « {args.correspondance} » est illisible ({exc.strerror}) : vérifiez son chemin.") from exc
        except ValueError as exc:
            raise ErreurUtilisateur(str(exc)) from exc
    territoire = territoire_des_options(args)
    try:
        resultat = mettre_a_jour(
            chemin, chemin.name, correspondance=correspondance, feuille=args.feuille, territoire=territoire, ban=args.ban
        )
    except FichierIllisible as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_ILLISIBLE
    resultat.ecrire(args.sortie)
    for ligne in resultat.validation.resume():
        print(ligne)
    print(
        f"{len(resultat.lieux)} lieux écrits dans {Path(args.sortie) / 'lieux.csv'} ; "
        f"rapport : {Path(args.sortie) / 'rapport.html'} et rapport.xlsx.",
        file=sys.stderr,
    )
    return 0 if resultat.valide else 1
