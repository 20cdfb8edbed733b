"""The local map's accessibility statement ("déclaration d'accessibilité", RGAA 4.1 headings), written next
to index.html, filled with what the project's tests check and what its last automated audit measured.

The audit figures live in `modele/audit_accessibilite.json`, written by `make audit-a11y --ecrire`
(scripts/audit_a11y.py); a test fails when they no longer match a fresh audit of the map.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jinja2

MODELE_DIR = Path(__file__).parent / "modele"
RESULTATS = MODELE_DIR / "audit_accessibilite.json"
FICHIER = "declaration-accessibilite.html"

# What the browser tests (tests/test_a11y_carte_locale.py) check beyond the automated rules: each line
# is a claim a test fails on.
VERIFICATIONS = (
    "chaque filtre, la liste, la fiche d'un lieu et le retour à la liste s'utilisent au clavier seul ;",
    "la carte ne retient pas le focus : la touche Tab en sort, dans les deux sens ;",
    "le focus est toujours visible (contour sombre d'au moins 3 px, contraste d'au moins 3:1) ;",
    "la liste des lieux remplace la carte pour un lecteur d'écran : titres, régions, nombre de résultats "
    "annoncé quand un filtre change ;",
    "les couleurs choisies par la collectivité sont corrigées automatiquement quand le texte serait peu "
    "lisible (contraste d'au moins 4,5:1 pour le texte, 3:1 pour les repères) ;",
    "la page reste utilisable à 200 % de zoom et sur un écran de 320 px de large, sans défilement horizontal ;",
    "la carte ne s'anime pas quand le système demande moins d'animations (prefers-reduced-motion).",
)

NON_CONFORMITES = (
    "La carte elle-même (fond de carte, repères) n'est pas restituée par un lecteur d'écran autrement "
    "que par la liste des lieux, qui en est l'alternative complète.",
    "Les horaires sont affichés tels que la source les écrit (syntaxe OpenStreetMap) quand ils ne peuvent "
    "pas être lus automatiquement.",
    "Les contenus des fiches (noms, présentations, horaires) viennent des producteurs de données et ne sont "
    "pas relus par la collectivité.",
)


def resultats_audit(chemin: Path = RESULTATS) -> dict:
    """The last audit's figures: `date`, `axe_core`, `navigateur`, `pages` (nom → violations by impact)."""
    return json.loads(Path(chemin).read_text(encoding="utf-8"))


def declaration_html(titre: str, territoire: str, *, resultats: dict | None = None, aujourd_hui: date | None = None) -> str:
    """The statement page (autoescaped: the title and territory are text)."""
    resultats = resultats if resultats is not None else resultats_audit()
    environnement = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MODELE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    graves = sum(p["critical"] + p["serious"] for p in resultats["pages"].values())
    return environnement.get_template("declaration.html").render(
        titre=titre,
        territoire=territoire,
        resultats=resultats,
        graves=graves,
        verifications=VERIFICATIONS,
        non_conformites=NON_CONFORMITES,
        date_declaration=(aujourd_hui or date.today()).isoformat(),
    )
