"""`diagnostic territoires RECHERCHE`: find a territory by name or code."""
from __future__ import annotations

from .commun import ErreurUtilisateur


def ajouter(sub) -> None:
    p = sub.add_parser("territoires", help="chercher un territoire par nom ou code")
    p.add_argument("recherche")
    p.add_argument("--limite", type=int, default=20)
    p.set_defaults(func=executer)


def executer(args) -> int:
    from .. import territories

    resultats = territories.search(args.recherche, limit=args.limite)
    if not resultats:
        raise ErreurUtilisateur(
            f"Aucun territoire ne correspond à « {args.recherche} » : essayez un nom de commune, d'EPCI, "
            "de département ou de région, ou un code (29, 29019, 242900314)."
        )
    for t in resultats:
        print(f"{t.id}\t{t.nom}\t{t.niveau}\t{t.population}")
    return 0
