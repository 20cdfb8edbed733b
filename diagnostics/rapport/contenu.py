"""Everything a territory report says, built once from the diagnostic dict and the per-commune table:
sections of French text, charts (each signed with its source and data date), tables of French numbers
and the static map. The PPTX, PDF and HTML writers only lay this content out.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from .. import territories
from ..views import definitions
from ..views.format import km, nombre, pourcentage
from ..views.graphiques_couverture import figure_distances, figure_priorites, formater, repartition_distances, table_reperes
from ..views.graphiques_offre import figure_fraicheur, figure_ouvertures, figure_profil, figure_zones_blanches_services
from ..views.graphiques_synthese import couverture_par_seuil, population_par_classe_ifn
from ..views.texte import synthese
from . import images
from .dates import date_francaise
from .carte_statique import carte_png

GEOGRAPHIE = "Géographie : COG 2026 ; populations légales 2023 (INSEE)."
MAX_LIGNES_TABLEAU = 12  # rows of a table on a slide or a page; the indicator tables hold them all


@dataclass
class Graphique:
    """A chart of the report, already signed with its source line."""

    cle: str
    figure: go.Figure
    largeur: int = 1000

    @property
    def hauteur(self) -> int:
        return int(self.figure.layout.height or 500)


@dataclass
class Tableau:
    """A table of French text cells (numbers already formatted)."""

    titre: str
    colonnes: list[str]
    lignes: list[list[str]]
    note: str = ""


@dataclass
class Section:
    titre: str
    textes: list[str] = field(default_factory=list)
    graphiques: list[Graphique] = field(default_factory=list)
    tableaux: list[Tableau] = field(default_factory=list)
    carte: bytes | None = None  # PNG of the static map


@dataclass
class Contenu:
    """The report of one territory; `images(format)` draws every chart once and keeps the result."""

    titre: str
    territoire: str
    sous_titre: str
    date_edition: str
    source: str
    synthese: str
    sections: list[Section]
    sources: list[str]
    nom_fichier: str  # territory part of the files' names
    _images: dict = field(default_factory=dict, repr=False)
    _verrou: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def graphiques(self) -> list[Graphique]:
        return [g for s in self.sections for g in s.graphiques]

    def images(self, format: str = "png") -> dict[str, bytes]:
        """Chart key → image bytes ("png" for slides, "svg" for the HTML and PDF), drawn once.

        Raises
        ------
        images.ImagesIndisponibles : no Chromium, or the browser failed.
        """
        with self._verrou:
            if format not in self._images:
                graphiques = self.graphiques
                dessins = images.images([g.figure for g in graphiques], format, largeur=1000)
                self._images[format] = {g.cle: d for g, d in zip(graphiques, dessins)}
            return self._images[format]


class LogoIllisible(ValueError):
    """The logo is not a PNG nor a JPEG image; the message is French."""


def type_logo(donnees: bytes) -> str:
    """MIME type of a logo ("image/png" or "image/jpeg").

    Raises
    ------
    LogoIllisible : any other content.
    """
    if donnees.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if donnees.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    raise LogoIllisible("Le logo n'est pas une image PNG ou JPEG : fournissez-le dans l'un de ces formats.")


def ligne_source(source: dict) -> str:
    """"Source : <libellé> — données du <date>." for a diagnostic's `source` block."""
    return f"Source : {source.get('libelle') or source.get('nom') or 'inconnue'} — données du {date_francaise(source.get('date'))}."


def construire(
    diag: dict,
    table_communes: pd.DataFrame,
    *,
    lieux: gpd.GeoDataFrame | None = None,
    edition: date | None = None,
    avec_carte: bool = True,
) -> Contenu:
    """The report's content.

    Parameters
    ----------
    diag : `diagnostic.diagnostic(...)` of the territory (all parts).
    table_communes : `indicators.par_commune.table_communes(...)` of the same territory and radius.
    lieux : places drawn on the static map (the territory's and its neighbours').
    edition : date printed on the report (default today).
    avec_carte : draw the static map (False skips it, e.g. in quick tests).
    """
    t = diag["territoire"]
    territoire = territories.get(t["id"])
    rayon = float((diag.get("parametres") or {}).get("rayon_km", 10.0))
    source = ligne_source(diag["source"])
    signe = f"{source} {GEOGRAPHIE}"
    sections = [
        _chiffres_cles(diag, rayon),
        _couverture(diag, table_communes, rayon, signe),
    ]
    if avec_carte:
        carte = carte_png(territoire, table_communes, lieux, rayon_km=rayon, legende_source=signe)
        sections.insert(1, Section(
            "Carte du territoire",
            [f"Chaque commune est colorée selon la distance, à vol d'oiseau depuis son point intérieur, au lieu "
             f"d'inclusion numérique le plus proche ; hachurées en rouge, les zones blanches (plus de {_km0(rayon)})."],
            carte=carte,
        ))
    sections += [s for s in (_offre(diag, signe), _horaires(diag, signe)) if s]
    sections += [_zones_blanches(diag, table_communes, rayon), _fragilite(diag, table_communes, signe)]
    if diag.get("qualite"):
        sections.append(_qualite(diag["qualite"], signe))
    return Contenu(
        titre="Diagnostic de l'inclusion numérique",
        territoire=t.get("libelle") or t["nom"],
        sous_titre=(
            f"{territoire.niveau_libelle} · {nombre(t['population'])} habitants · "
            f"{nombre(len(territoire.codes_communes))} communes"
        ),
        date_edition=date_francaise(edition or date.today()),
        source=source,
        synthese=synthese(diag),
        sections=sections,
        sources=_sources(diag),
        nom_fichier=t["nom"],
    )


def _km0(x: float) -> str:
    return km(x, 0 if float(x).is_integer() else 1)


def _chiffres_cles(diag: dict, rayon: float) -> Section:
    cle_rayon = f"part_population_a_moins_de_{int(rayon) if rayon.is_integer() else rayon}_km"
    indicateurs = {
        "nb_lieux": (definitions.libelle("nb_lieux"), "entier"),
        "lieux_pour_10000_habitants": (definitions.libelle("lieux_pour_10000_habitants"), "decimal"),
        cle_rayon: (f"Habitants à moins de {_km0(rayon)} d'un lieu", "part"),
        "distance_mediane_km": (definitions.libelle("distance_mediane_km"), "km"),
        "zones_blanches_nb_communes": (f"Communes en zone blanche (plus de {_km0(rayon)})", "entier"),
        "zones_blanches_population": ("Habitants en zone blanche", "entier"),
        "accessibilite_moyenne": ("Accessibilité moyenne (lieux pour 10 000 hab. à portée)", "decimal"),
    }
    reperes = table_reperes(diag, list(indicateurs))
    lignes = [
        [libelle, *(formater(v, genre) for v in reperes[colonne])] for colonne, (libelle, genre) in indicateurs.items()
    ]
    comparaison = diag.get("comparaison") or {}
    note = ""
    if comparaison.get("source") and comparaison["source"].get("nom") != diag["source"].get("nom"):
        note = f"Repères calculés sur : {ligne_source(comparaison['source'])}"
    tableau = Tableau("Indicateurs clés et repères", ["Indicateur", *reperes["repere"]], lignes, note)
    return Section("Chiffres clés", [synthese(diag)], tableaux=[tableau])


def _couverture(diag: dict, table: pd.DataFrame, rayon: float, signe: str) -> Section:
    repartition = repartition_distances(table["distance_km"], table["population"], rayon)
    return Section(
        "Distance aux lieux",
        [definitions.METHODE_DISTANCES],
        graphiques=[
            _graphique("couverture", couverture_par_seuil(diag), signe),
            _graphique("distances", figure_distances(repartition, rayon), signe),
        ],
    )


def _offre(diag: dict, signe: str) -> Section | None:
    offre = diag.get("offre") or {}
    if not offre.get("nb_lieux"):
        return None
    graphiques = []
    services = (offre.get("profils") or {}).get("services")
    if services:
        graphiques.append(_graphique("services", figure_profil(services, max_valeurs=10), signe))
    zones = offre.get("zones_blanches_par_service")
    if zones and zones.get("services"):
        graphiques.append(_graphique("services_zones", figure_zones_blanches_services(zones), signe))
    return Section("Offre de services", [offre.get("note", "")], graphiques=graphiques)


def _horaires(diag: dict, signe: str) -> Section | None:
    h = diag.get("horaires") or {}
    if not h.get("exploitables"):
        return None
    texte = (
        f"{nombre(h['exploitables'])} lieux sur {nombre(h['nb_lieux'])} ont des horaires exploitables ; "
        f"ils ouvrent en médiane {nombre(h.get('heures_hebdo_mediane'), 1)} heures par semaine."
    )
    return Section("Horaires d'ouverture", [texte], graphiques=[_graphique("ouvertures", figure_ouvertures(h), signe)])


def _zones_blanches(diag: dict, table: pd.DataFrame, rayon: float) -> Section:
    zones = diag.get("zones_blanches") or []
    lignes = [
        [str(z["nom"]), str(z["code"]), nombre(z["population"]),
         km(z["distance_km"]) if z["distance_km"] is not None else "aucun lieu"]
        for z in zones[:MAX_LIGNES_TABLEAU]
    ]
    note = f"Les {MAX_LIGNES_TABLEAU} plus peuplées sur {nombre(len(zones))}." if len(zones) > MAX_LIGNES_TABLEAU else ""
    blanches = Tableau(
        f"Communes en zone blanche (aucun lieu à moins de {_km0(rayon)})",
        ["Commune", "Code INSEE", "Habitants", "Lieu le plus proche"], lignes or [["Aucune", "", "", ""]], note,
    )
    classees = table[table["rang_priorite"].notna()].sort_values("rang_priorite").head(MAX_LIGNES_TABLEAU)
    priorites = Tableau(
        "Communes à prioriser",
        ["Rang", "Commune", "Habitants", "Fragilité (IFN)", "Lieu le plus proche", "Score"],
        [
            [nombre(r.rang_priorite), f"{r.nom} ({r.code})", nombre(r.population), formater(r.ifn, "decimal"),
             km(float(r.distance_km)), formater(r.score_priorite, "score")]
            for r in classees.itertuples()
        ] or [["—", "Aucune commune classée", "", "", "", ""]],
        (diag.get("fragilite") or {}).get("methode_priorites", ""),
    )
    texte = (
        f"{nombre(diag.get('zones_blanches_population'))} habitants "
        f"({pourcentage(diag.get('zones_blanches_part_population'), 1)}) vivent dans "
        f"{nombre(diag.get('zones_blanches_nb_communes'))} communes sans lieu à moins de {_km0(rayon)}."
    )
    return Section("Zones blanches et priorités", [texte], tableaux=[blanches, priorites])


def _fragilite(diag: dict, table: pd.DataFrame, signe: str) -> Section:
    fragilite = diag.get("fragilite") or {}
    graphiques = []
    if fragilite.get("classes"):
        graphiques.append(_graphique("fragilite", population_par_classe_ifn(fragilite), signe + " IFN : La Mednum et ANSA, 2021."))
    if table["rang_priorite"].notna().any():
        graphiques.append(_graphique("priorites", figure_priorites(table, n=10), signe + " IFN : La Mednum et ANSA, 2021."))
    textes = [definitions.definition("ifn")]
    if fragilite.get("ifn_pondere_population") is not None:
        textes.insert(0, (
            f"Indice de fragilité numérique moyen (pondéré par la population) : "
            f"{nombre(fragilite['ifn_pondere_population'], 1)} sur 10, {fragilite.get('libelle', '')}."
        ))
    return Section("Fragilité numérique et priorités", textes, graphiques=graphiques)


def _qualite(qualite: dict, signe: str) -> Section:
    completude = qualite.get("completude") or {}
    positions = qualite.get("positions") or {}
    contacts = qualite.get("contacts_invalides") or {}
    a_faire = qualite.get("a_faire") or {}
    lignes = [
        ["Lieux du territoire", nombre(qualite.get("nb_lieux"))],
        ["Complétude moyenne des fiches", f"{nombre(completude.get('moyenne'), 1)}\u202f%"],
        [f"Fiches complètes à moins de {nombre(completude.get('seuil'))}\u202f%", nombre(completude.get("sous_seuil"))],
        ["Positions manquantes", nombre(positions.get("manquantes"))],
        ["Positions approximatives (centre de la commune)", nombre(positions.get("approximatives"))],
        ["Positions hors de la commune", nombre(positions.get("hors_commune"))],
        ["Contacts invalides (téléphone, courriel, site, rendez-vous, Acceslibre)", nombre(sum(v or 0 for v in contacts.values()))],
        ["Horaires illisibles", nombre((qualite.get("horaires") or {}).get("non_exploitables"))],
        ["Paires de doublons probables", nombre((qualite.get("doublons") or {}).get("paires"))],
        ["Lieux ayant au moins un point à corriger",
         f"{nombre(a_faire.get('lieux_concernes'))} ({pourcentage(a_faire.get('part_lieux_concernes'))})"],
    ]
    graphiques = []
    if qualite.get("nb_lieux"):
        graphiques.append(_graphique("fraicheur", figure_fraicheur(qualite.get("fraicheur") or []), signe))
    return Section(
        "Qualité des données",
        [f"Fraîcheur évaluée au {date_francaise(qualite.get('reference'))}. {definitions.definition('part_a_jour')}"],
        graphiques=graphiques,
        tableaux=[Tableau("Points à vérifier", ["Contrôle", "Valeur"], lignes)],
    )


def _sources(diag: dict) -> list[str]:
    source = diag["source"]
    lignes = [f"Lieux d'inclusion numérique : {source.get('libelle') or source.get('nom')}, données du "
              f"{date_francaise(source.get('date'))}."]
    if source.get("message"):
        lignes.append(source["message"])
    comparaison = diag.get("comparaison") or {}
    if comparaison.get("source"):
        reperes = comparaison["source"]
        lignes.append(
            f"Repères (département, région, France) : {reperes.get('libelle') or reperes.get('nom')}, données du "
            f"{date_francaise(reperes.get('date'))}."
        )
    lignes += [
        "Territoires : INSEE – COG 2026, populations légales 2023 ; DGCL – EPCI 2026 (via Etalab "
        "decoupage-administratif) ; contours IGN – ADMIN EXPRESS COG 2018 (via france-geojson) — Licence Ouverte.",
        "Indice de fragilité numérique : La Mednum et ANSA (2021).",
        f"Distances : {diag.get('methode_distance', '')}.",
        f"Accessibilité : {(diag.get('accessibilite') or {}).get('methode', '')}, rayon "
        f"{_km0((diag.get('accessibilite') or {}).get('rayon_km') or 20)}, décroissance "
        f"{(diag.get('parametres') or {}).get('decroissance', '')}.",
        *diag.get("avertissements", []),
    ]
    return [l for l in lignes if l]


def _graphique(cle: str, fig: go.Figure, signe: str) -> Graphique:
    return Graphique(cle, images.legender(fig, signe))
