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
from ..views.texte import distance_cellule, synthese
from . import donnees_graphiques, images
from ..dates import date_francaise
from .carte_statique import carte_png, miniature_png
from .modele import MAX_LIGNES_TABLEAU, Graphique, Section, Tableau
from .retenir import Constat, constats
from . import mise_en_page
from .mise_en_page import LARGEUR_GRAPHIQUE_PX, POLICE_DIAPO_PX, POLICE_GRAPHIQUE_PX
from . import sections as optionnelles

GEOGRAPHIE = "Géographie : COG 2026 ; populations légales 2023 (INSEE)."




@dataclass(frozen=True)
class Chiffre:
    """A headline figure of the cover: its label, value and a benchmark ("Finistère : 1,2")."""

    libelle: str
    valeur: str
    repere: str = ""


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
    chiffres: list[Chiffre] = field(default_factory=list)  # the cover's headline figures
    a_retenir: list[Constat] = field(default_factory=list)
    auteur: str = ""  # author or organisation, on the cover
    miniature: bytes | None = None  # PNG of the cover's small map
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
                police = POLICE_DIAPO_PX if format == "png" else POLICE_GRAPHIQUE_PX
                figures = [donnees_graphiques.agrandir(g.figure, police, LARGEUR_GRAPHIQUE_PX) for g in graphiques]
                dessins = images.images(figures, format, largeur=LARGEUR_GRAPHIQUE_PX)
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
    auteur: str | None = None,
    evolution: dict | None = None,
) -> Contenu:
    """The report's content.

    Parameters
    ----------
    diag : `diagnostic.diagnostic(...)` of the territory (all parts); optional parts
        (`territoires_prioritaires`, `moyens_humains`, `ou_ouvrir`, peers) become sections when present.
    table_communes : `indicators.par_commune.table_communes(...)` of the same territory and radius.
    lieux : places drawn on the static map (the territory's and its neighbours').
    edition : date printed on the report (default today).
    avec_carte : draw the static map (False skips it, e.g. in quick tests).
    auteur : author or organisation printed on the cover.
    evolution : the comparison of two snapshots (keys avant, apres, ouverts, fermes, deplaces,
        modifies, communes_devenues_zones_blanches, communes_sorties_des_zones_blanches): an
        « Évolution » section and finding.
    """
    t = diag["territoire"]
    territoire = territories.get(t["id"])
    rayon = float((diag.get("parametres") or {}).get("rayon_km", 10.0))
    source = ligne_source(diag["source"])
    signe = f"{source} {GEOGRAPHIE}"
    sections = [
        _chiffres_cles(diag, rayon, signe),
        _couverture(diag, table_communes, rayon, signe),
    ]
    miniature = None
    if avec_carte:
        carte = carte_png(territoire, table_communes, lieux, rayon_km=rayon, legende_source=signe,
                          taille_pouces=mise_en_page.CARTE_PAGE_POUCES)
        carte_diapo = carte_png(territoire, table_communes, lieux, rayon_km=rayon, legende_source=signe,
                                taille_pouces=mise_en_page.CARTE_DIAPO_POUCES)
        miniature = miniature_png(territoire, table_communes, lieux, rayon_km=rayon)
        sections.insert(1, Section(
            "Carte du territoire",
            [f"Chaque commune est colorée selon la distance, à vol d'oiseau depuis son point intérieur, au lieu "
             f"d'inclusion numérique le plus proche ; hachurées en rouge, les zones blanches (plus de {_km0(rayon)}). "
             "Les lieux des territoires voisins, estompés, comptent dans les distances."],
            carte=carte, carte_diapo=carte_diapo, source=signe,
        ))
    sections += [s for s in (_offre(diag, signe), _horaires(diag, signe)) if s]
    sections += [_zones_blanches(diag, table_communes, rayon, signe), _fragilite(diag, table_communes, signe)]
    if diag.get("qualite"):
        sections.append(_qualite(diag["qualite"], signe))
    supplementaires = (
        optionnelles.pairs(diag, _indicateurs_pairs(rayon), signe),
        optionnelles.territoires_prioritaires(diag, source),
        optionnelles.evolution(evolution),
    )
    sections += [s for s in supplementaires if s is not None]
    for s in sections:
        s.source = s.source or signe
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
        chiffres=_chiffres_couverture(diag, rayon),
        a_retenir=constats(diag, source, evolution=evolution),
        auteur=(auteur or "").strip(),
        miniature=miniature,
    )


def _indicateurs_pairs(rayon: float) -> dict[str, tuple[str, str]]:
    cle_rayon = f"part_population_a_moins_de_{int(rayon) if rayon.is_integer() else rayon}_km"
    return {
        "lieux_pour_10000_habitants": (definitions.libelle("lieux_pour_10000_habitants"), "decimal"),
        cle_rayon: (f"Habitants à moins de {_km0(rayon)} d'un lieu", "part"),
        "distance_mediane_km": (definitions.libelle("distance_mediane_km"), "km"),
        "zones_blanches_part_population": (f"Part de la population en zone blanche (plus de {_km0(rayon)})", "part"),
        "accessibilite_moyenne": ("Accessibilité moyenne (lieux pour 10 000 hab. à portée)", "decimal"),
    }


def _chiffres_couverture(diag: dict, rayon: float) -> list[Chiffre]:
    """The cover's four figures: places, per 10,000 inhabitants, share within the radius, white-zone
    population; each beside the département (else region, France)."""
    comparaison = diag.get("comparaison") or {}
    parent = next((comparaison[n] for n in ("departement", "region", "france")
                   if comparaison.get(n) and comparaison[n].get("id") != diag["territoire"].get("id")), None)
    cle = str(int(rayon)) if rayon.is_integer() else str(rayon)

    def repere(valeur) -> str:
        return f"{parent['nom']} : {valeur}" if parent else ""

    part = (diag.get("part_population_a_moins_de") or {}).get(cle)
    return [
        Chiffre("lieux d'inclusion numérique", nombre(diag.get("nb_lieux")),
                repere(nombre(parent.get("nb_lieux"))) if parent else ""),
        Chiffre("lieux pour 10 000 habitants", nombre(diag.get("lieux_pour_10000_habitants"), 1),
                repere(nombre(parent.get("lieux_pour_10000_habitants"), 1)) if parent else ""),
        Chiffre(f"des habitants à moins de {_km0(rayon)} d'un lieu", pourcentage(part),
                repere(pourcentage((parent.get("part_population_a_moins_de") or {}).get(cle))) if parent else ""),
        Chiffre(f"habitants en zone blanche (plus de {_km0(rayon)})", nombre(diag.get("zones_blanches_population")),
                repere(pourcentage(parent.get("zones_blanches_part_population"), 1) + " de la population") if parent else ""),
    ]


def _km0(x: float) -> str:
    return km(x, 0 if float(x).is_integer() else 1)


def _chiffres_cles(diag: dict, rayon: float, signe: str) -> Section:
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
        [libelle, *(_cellule(v, genre) for v in reperes[colonne])] for colonne, (libelle, genre) in indicateurs.items()
    ]
    comparaison = diag.get("comparaison") or {}
    note = ""
    if comparaison.get("source") and comparaison["source"].get("nom") != diag["source"].get("nom"):
        note = f"Repères calculés sur : {ligne_source(comparaison['source'])}"
    tableau = Tableau("Indicateurs clés et repères", ["Indicateur", *reperes["repere"]], lignes, note, source=signe)
    return Section("Chiffres clés", [synthese(diag)], tableaux=[tableau], source=signe)


def _cellule(valeur, genre: str) -> str:
    return distance_cellule(valeur) if genre == "km" and valeur is not None else formater(valeur, genre)


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
        f"{nombre(h['exploitables'])} {'lieux' if h['exploitables'] > 1 else 'lieu'} sur {nombre(h['nb_lieux'])} "
        f"{'ont' if h['exploitables'] > 1 else 'a'} des horaires exploitables ; "
        f"ils ouvrent en médiane {nombre(h.get('heures_hebdo_mediane'), 1)} heures par semaine."
    )
    return Section("Horaires d'ouverture", [texte], graphiques=[_graphique("ouvertures", figure_ouvertures(h), signe)])


def _zones_blanches(diag: dict, table: pd.DataFrame, rayon: float, signe: str) -> Section:
    zones = diag.get("zones_blanches") or []
    lignes = [
        [str(z["nom"]), str(z["code"]), nombre(z["population"]),
         distance_cellule(z["distance_km"]) if z["distance_km"] is not None else "aucun lieu"]
        for z in zones[:MAX_LIGNES_TABLEAU]
    ]
    note = f"Les {MAX_LIGNES_TABLEAU} plus peuplées sur {nombre(len(zones))}." if len(zones) > MAX_LIGNES_TABLEAU else ""
    blanches = Tableau(
        f"Communes en zone blanche (aucun lieu à moins de {_km0(rayon)})",
        ["Commune", "Code INSEE", "Habitants", "Lieu le plus proche"], lignes, note, source=signe,
    )
    classees = table[table["rang_priorite"].notna()].sort_values("rang_priorite").head(MAX_LIGNES_TABLEAU)
    priorites = Tableau(
        "Communes à prioriser",
        ["Rang", "Commune", "Habitants", "Fragilité (IFN)", "Lieu le plus proche", "Score"],
        [
            [nombre(r.rang_priorite), f"{r.nom} ({r.code})", nombre(r.population), formater(r.ifn, "decimal"),
             distance_cellule(float(r.distance_km)), formater(r.score_priorite, "score")]
            for r in classees.itertuples()
        ],
        (diag.get("fragilite") or {}).get("methode_priorites", ""),
        source=signe + " IFN : La Mednum et ANSA, 2021.",
    )
    texte = (
        f"{nombre(diag.get('zones_blanches_population'))} habitants "
        f"({pourcentage(diag.get('zones_blanches_part_population'), 1)}) vivent dans "
        f"{nombre(diag.get('zones_blanches_nb_communes'))} communes sans lieu à moins de {_km0(rayon)}."
    )
    if not zones:
        texte = f"Tous les habitants ont un lieu d'inclusion numérique à moins de {_km0(rayon)} : aucune zone blanche."
    proposition = optionnelles.ou_ouvrir(diag, _km0(rayon), signe)
    tableaux = [t for t in (blanches, priorites, proposition) if t is not None and t.lignes]
    return Section("Zones blanches et priorités", [texte], tableaux=tableaux, source=signe)


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
    textes = [f"Fraîcheur évaluée au {date_francaise(qualite.get('reference'))}. {definitions.definition('part_a_jour')}"]
    if a_faire.get("lieux_concernes") is not None:
        textes.insert(0, (
            f"À faire : {nombre(a_faire['lieux_concernes'])} fiches de lieux sur {nombre(qualite.get('nb_lieux'))} ont au "
            "moins un point à corriger ; la liste à faire de la page « Qualité des données » dit où corriger chacune."
        ))
    return Section(
        "Qualité des données",
        textes,
        graphiques=graphiques,
        tableaux=[Tableau("Points à vérifier", ["Contrôle", "Valeur"], lignes, source=signe)],
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
    # Source and geography on two lines under the chart's title: one would be cut at the image's edge.
    return Graphique(cle, images.legender(fig, signe.replace(" Géographie", "\nGéographie", 1)), source=signe)
