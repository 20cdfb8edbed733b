"""`diagnostic lieux`: the places of a territory at the standard (CSV, JSON, GeoJSON, XLSX), with a one-line
summary on stderr; incomplete places are counted, and listed with `--rapport`."""
from __future__ import annotations

import io
import sys
from pathlib import Path

from .commun import ErreurUtilisateur, ajouter_options_source, charger_argument, nombre, territoire_des_options

FORMATS = ("csv", "json", "geojson", "xlsx")


def ajouter(sub) -> None:
    p = sub.add_parser("lieux", help="exporter les lieux d'un territoire au standard")
    ajouter_options_source(p)
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument("--rapport", help="fichier CSV listant les lieux incomplets non exportés et pourquoi")
    p.add_argument(
        "--colonnes-territoire", action="store_true",
        help="csv ou xlsx pour tableur : ajoute commune, EPCI, département, région, en QPV (2024), commune FRR (2025) "
        "après les colonnes du standard (le fichier n'est alors plus le standard pur)",
    )
    p.set_defaults(func=executer)


def executer(args) -> int:
    from ..places import dans_territoire
    from ..standard import io as std_io
    from ..standard.fields import PIVOT_INCONNU
    from ..standard.validate import row_problems

    if args.format == "xlsx" and not args.sortie:
        raise ErreurUtilisateur("Le format xlsx s'écrit dans un fichier : ajoutez --sortie lieux.xlsx.")
    territoire = territoire_des_options(args)
    resultat = charger_argument(args, territoire)
    lieux = resultat.lieux[dans_territoire(resultat.lieux, territoire)].reset_index(drop=True)
    problemes = row_problems(lieux)
    prets = problemes.map(len).eq(0)
    exportes, ecartes = lieux[prets].reset_index(drop=True), lieux[~prets]

    writers = {"csv": std_io.to_standard_csv, "json": std_io.to_json, "geojson": std_io.to_geojson, "xlsx": std_io.to_xlsx}
    if getattr(args, "colonnes_territoire", False):
        writers.update(_ecrivains_territoire(args.format))
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
        f"{territoire.libelle} : {nombre(len(exportes))} lieux écrits "
        f"(source : {resultat.source.libelle}, données du {resultat.source.date or 'date inconnue'}) ; "
        f"{nombre(pivots)} sans SIRET connu, pivot rempli par la convention du standard {PIVOT_INCONNU}"
    )
    if len(ecartes):
        resume += f" ; {nombre(len(ecartes))} lieux incomplets non exportés" + (
            f" (détail dans {args.rapport})" if args.rapport else " (ajoutez --rapport FICHIER pour le détail)"
        )
    if resultat.source.message and resultat.source.repli:
        resume += f" ; {resultat.source.message}"
    print(resume, file=sys.stderr)
    return 0


def _ecrivains_territoire(format_: str) -> dict:
    """Writers of the places followed by their territory columns (csv and xlsx only)."""
    from ..views import colonnes_territoire as ct

    if format_ not in ("csv", "xlsx"):
        raise ErreurUtilisateur("--colonnes-territoire vaut pour les formats csv et xlsx.")

    def csv(lieux, cible):
        texte = ct.csv_lieux_territoire(lieux)
        if isinstance(cible, Path):
            cible.write_text(texte, encoding="utf-8", newline="")
        else:
            cible.write(texte)

    def xlsx(lieux, cible):
        Path(cible).write_bytes(ct.xlsx_lieux_territoire(lieux))

    return {"csv": csv, "xlsx": xlsx}


def _ecrire_rapport(ecartes, problemes, path: Path) -> None:
    from ..exports import csv_tableur

    table = ecartes[["id", "nom", "commune", "origine", "ligne_source"]].copy()
    table["problemes"] = problemes.map("; ".join)
    csv_tableur(table, path)
