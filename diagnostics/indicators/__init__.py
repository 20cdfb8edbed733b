"""Indicators: pure functions on places frames and per-commune vectors (no Streamlit)."""
from .accessibilite import accessibilite_e2sfca, decroissance_par_defaut, e2sfca, gaussian, step
from .comparaison import comparer, indicateurs_par_unite, references, vecteurs_communes
from .densite import lieux_par_commune, resume_densite
from .distances import (
    METHODE,
    communes_projetees,
    distance_plus_proche,
    distance_plus_proche_lieu,
    mediane_ponderee,
    moyenne_ponderee,
    part_population_a_moins_de,
    projeter_lieux,
    road_times,
    temps_plus_proche,
    zones_blanches,
)
from .implantation import ou_ouvrir

__all__ = [
    "METHODE",
    "accessibilite_e2sfca",
    "communes_projetees",
    "comparer",
    "decroissance_par_defaut",
    "distance_plus_proche",
    "distance_plus_proche_lieu",
    "e2sfca",
    "gaussian",
    "indicateurs_par_unite",
    "lieux_par_commune",
    "mediane_ponderee",
    "moyenne_ponderee",
    "ou_ouvrir",
    "part_population_a_moins_de",
    "projeter_lieux",
    "references",
    "resume_densite",
    "road_times",
    "step",
    "temps_plus_proche",
    "vecteurs_communes",
    "zones_blanches",
]
