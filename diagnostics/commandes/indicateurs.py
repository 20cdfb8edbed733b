"""`diagnostic indicateurs`: the whole diagnostic of a territory as JSON, or one CSV row per child unit."""
from __future__ import annotations

import argparse
import io
import json
import os

from .commun import ajouter_options_source, charger_argument, ecrire_texte, territoire_des_options


def ajouter(sub) -> None:
    p = sub.add_parser("indicateurs", help="calculer le diagnostic d'un territoire")
    ajouter_options_source(p)
    p.add_argument("--rayon-km", type=float, default=10.0, help="distance des zones blanches (défaut 10 km)")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument(
        "--parties", default="toutes", type=_parties,
        help="parties optionnelles du JSON, séparées par des virgules : comparaison, ou_ouvrir, offre, horaires, "
        "qualite, fragilite, territoires_prioritaires, moyens_humains ; « toutes » (défaut) ou « aucune » "
        "(chiffres clés, distances, accessibilité et zones blanches seulement)",
    )
    p.add_argument(
        "--osrm-url", help="serveur OSRM pour ajouter les temps de trajet par la route (défaut : DIAGNOSTIC_OSRM_URL)"
    )
    p.set_defaults(func=executer)


# The names of diagnostic.PARTIES, repeated here so that building the parser imports nothing heavy
# (a test checks that both lists agree).
PARTIES = (
    "comparaison", "ou_ouvrir", "offre", "horaires", "qualite", "fragilite", "territoires_prioritaires", "moyens_humains"
)


def _parties(texte: str) -> tuple[str, ...]:
    valeurs = [v.strip().lower() for v in texte.split(",") if v.strip()]
    if valeurs == ["toutes"]:
        return PARTIES
    if valeurs == ["aucune"]:
        return ()
    inconnues = [v for v in valeurs if v not in PARTIES]
    if not valeurs or inconnues:
        raise argparse.ArgumentTypeError(
            f"partie inconnue « {', '.join(inconnues) or texte} » : choisissez « toutes », « aucune » ou parmi {', '.join(PARTIES)}"
        )
    return tuple(valeurs)


def executer(args) -> int:
    from ..diagnostic import diagnostic, table_unites

    territoire = territoire_des_options(args)
    resultat = charger_argument(args, territoire)
    if args.format == "csv":
        from ..exports import csv_tableur

        table = table_unites(territoire, resultat.lieux, rayon_km=args.rayon_km)
        buffer = io.StringIO()
        csv_tableur(table, buffer)
        ecrire_texte(buffer.getvalue(), args.sortie)
    else:
        osrm = args.osrm_url or os.environ.get("DIAGNOSTIC_OSRM_URL") or None
        resultat_json = diagnostic(
            territoire, resultat.lieux, resultat.source, rayon_km=args.rayon_km, osrm_url=osrm, parties=args.parties
        )
        ecrire_texte(json.dumps(resultat_json, ensure_ascii=False, indent=2) + "\n", args.sortie)
    return 0
