"""French names, definitions and methods of the headline indicators, shown next to every figure
(tooltips, "Méthode" sections, report footnotes, column descriptions of the exported tables)."""
from __future__ import annotations

INDICATEURS: dict[str, tuple[str, str]] = {
    "nb_lieux": (
        "Lieux d'inclusion numérique",
        "Nombre de lieux situés dans le territoire (commune de rattachement du lieu, code INSEE 2026).",
    ),
    "lieux_pour_10000_habitants": (
        "Lieux pour 10 000 habitants",
        "Nombre de lieux du territoire rapporté à sa population municipale (INSEE, populations légales 2023), × 10 000.",
    ),
    "part_population_a_moins_de_10": (
        "Habitants à moins de 10 km d'un lieu",
        "Part de la population dont la commune a son point intérieur à 10 km ou moins (à vol d'oiseau) du lieu le "
        "plus proche, lieux des territoires voisins compris.",
    ),
    "zones_blanches": (
        "Zones blanches",
        "Communes sans aucun lieu à moins du rayon choisi (10 km par défaut) de leur point intérieur, et leur population.",
    ),
    "distance_mediane_km": (
        "Distance médiane au lieu le plus proche",
        "La moitié des habitants vit plus près que cette distance du lieu le plus proche (médiane pondérée par la "
        "population des communes, distance à vol d'oiseau depuis le point intérieur de la commune).",
    ),
    "distance_moyenne_km": (
        "Distance moyenne au lieu le plus proche",
        "Moyenne des distances communales pondérée par la population.",
    ),
    "part_a_jour": (
        "Fiches à jour",
        "Part des lieux mis à jour il y a moins de 6 mois (champ date_maj) ; 6–12 mois « à surveiller », 12–18 mois "
        "« à vérifier », au-delà, sans date ou date fictive « à actualiser » (classes de Mon Inclusion Numérique).",
    ),
    "accessibilite_moyenne": (
        "Accessibilité (E2SFCA)",
        "Lieux pour 10 000 habitants à portée, en tenant compte de la demande qui se partage chaque lieu : méthode de "
        "l'aire de chalandise flottante à deux étapes, pondérée par une décroissance gaussienne de la distance "
        "(rayon 20 km), moyenne pondérée par la population.",
    ),
    "ifn": (
        "Indice de fragilité numérique",
        "Indice de La Mednum et de l'ANSA (calculé en 2021) : moyenne de 5 composantes notées de 0 à 10 (absence de "
        "très haut débit, absence de 4G, taux de pauvreté, part des 65 ans et plus, part des peu ou pas diplômés). "
        "Plus il est élevé, plus le territoire est fragile ; 7 classes de « risque faible » à « risque fort ».",
    ),
}

METHODE_DISTANCES = (
    "Les distances sont mesurées à vol d'oiseau entre le point intérieur de chaque commune (un point garanti dans "
    "la commune) et le lieu le plus proche, en projection Lambert-93 pour la métropole et dans la projection UTM "
    "locale pour chaque département d'outre-mer. Les lieux situés à moins de 30 km hors du territoire comptent : "
    "on peut aller au plus proche, même s'il est de l'autre côté de la limite."
)


def libelle(cle: str) -> str:
    return INDICATEURS[cle][0]


def definition(cle: str) -> str:
    return INDICATEURS[cle][1]
