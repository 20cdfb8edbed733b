"""`diagnostic carte-locale`: write the local map site of a territory into a folder."""
from __future__ import annotations

import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_source, charger_argument, territoire_des_options


def ajouter(sub) -> None:
    p = sub.add_parser("carte-locale", help="créer la carte des lieux d'un territoire à publier sur un site web")
    ajouter_options_source(p, sortie="dossier où écrire la carte (obligatoire)")
    p.add_argument("--couleur", help="couleur principale, ex. '#1f4e8c' (barre de titre, boutons)")
    p.add_argument("--couleur-secondaire", help="couleur des repères, ex. '#b3400a'")
    p.add_argument("--logo", help="fichier du logo : PNG, JPEG, WebP ou SVG, 512 Ko au plus")
    p.add_argument("--titre", default="", help="titre affiché en haut de la carte")
    p.add_argument(
        "--filtres",
        help="filtres proposés, séparés par des virgules parmi services, frais, publics, dispositifs (défaut : tous) ; "
        "les filtres d'horaires sont toujours là",
    )
    p.add_argument(
        "--sans-fond-de-carte", action="store_true",
        help="sans tuiles OpenStreetMap : contours seuls, la page ne contacte aucun site extérieur",
    )
    p.set_defaults(func=executer)


def executer(args) -> int:
    from ..carte_locale.securite import ParametreInvalide, valider_logo
    from ..carte_locale.site import FILTRES, construire_site, options_carte
    from ..views.assets import AssetsIndisponibles

    if not args.sortie:
        raise ErreurUtilisateur("Indiquez le dossier où écrire la carte avec --sortie DOSSIER.")
    sortie = Path(args.sortie)
    if sortie.exists() and not sortie.is_dir():
        raise ErreurUtilisateur(f"{sortie} est un fichier, pas un dossier : choisissez un dossier avec --sortie.")
    try:
        logo = None
        if args.logo:
            chemin = Path(args.logo)
            if not chemin.is_file():
                raise ErreurUtilisateur(f"Logo introuvable : {chemin} ; vérifiez le chemin du fichier.")
            logo = valider_logo(chemin.read_bytes(), chemin.name)
        options = options_carte(
            titre=args.titre, couleur=args.couleur, couleur_secondaire=args.couleur_secondaire, logo=logo,
            filtres=args.filtres if args.filtres is not None else ",".join(FILTRES),
            fond_de_carte=not args.sans_fond_de_carte,
        )
    except ParametreInvalide as exc:
        raise ErreurUtilisateur(str(exc)) from exc
    territoire = territoire_des_options(args)
    resultat = charger_argument(args, territoire)
    try:
        site = construire_site(territoire, resultat.lieux, resultat.source, sortie, options)
    except AssetsIndisponibles as exc:
        raise ErreurUtilisateur(str(exc)) from exc
    for avertissement in site.avertissements:
        print(f"Couleurs ajustées : {avertissement}", file=sys.stderr)
    lieux = "lieu" if site.nombre_lieux <= 1 else "lieux"
    resume = f"{territoire.libelle} : carte de {site.nombre_lieux} {lieux} écrite dans {site.index}"
    if site.sans_position:
        resume += f" ({site.sans_position} sans position, présents dans la liste seulement)"
    print(resume + f" ; données du {resultat.source.date or 'date inconnue'}.", file=sys.stderr)
    return 0
