"""Short French sentences written from the diagnostic's figures (dashboard synthesis, reports)."""
from __future__ import annotations

import math

from .format import km, nombre, pourcentage

SEUIL_DANS_LA_COMMUNE_KM = 0.1  # under 100 m, a distance reads "dans leur commune"


def _pluriel(n: int, singulier: str, pluriel: str | None = None) -> str:
    return singulier if n in (0, 1) else (pluriel or singulier + "s")


def synthese(diag: dict) -> str:
    """One paragraph: places, density, distance, white zones, freshness."""
    t = diag["territoire"]
    n = int(diag.get("nb_lieux") or 0)
    phrases = [
        f"{t['nom']} compte {nombre(n)} {_pluriel(n, 'lieu', 'lieux')} d'inclusion numérique pour {nombre(diag['population'])} "
        f"habitants, soit {nombre(diag.get('lieux_pour_10000_habitants'), 1)} pour 10 000 habitants."
    ]
    parts = diag.get("part_population_a_moins_de") or {}
    rayon = diag.get("parametres", {}).get("rayon_km", 10)
    cle_rayon = str(int(rayon)) if float(rayon).is_integer() else str(rayon)
    if diag.get("distance_mediane_km") is not None:
        phrases.append(phrase_distance_mediane(diag["distance_mediane_km"]))
    pop_blanche = int(diag.get("zones_blanches_population") or 0)
    nb_blanches = int(diag.get("zones_blanches_nb_communes") or 0)
    if pop_blanche:
        phrases.append(
            f"{nombre(pop_blanche)} habitants ({pourcentage(diag.get('zones_blanches_part_population'), 1)}) vivent à plus de "
            f"{nombre(rayon)} km d'un lieu, dans {nombre(nb_blanches)} {_pluriel(nb_blanches, 'commune')}."
        )
    elif cle_rayon in parts:
        phrases.append(f"Tous les habitants vivent à moins de {nombre(rayon)} km d'un lieu.")
    qualite = diag.get("qualite") or {}
    a_jour = next((c for c in qualite.get("fraicheur", []) if c.get("classe") == "à jour"), None)
    if a_jour is not None and qualite.get("nb_lieux"):
        phrases.append(f"{pourcentage(a_jour['part'])} des fiches de lieux ont été mises à jour il y a moins de 6 mois.")
    return " ".join(phrases)


def distance_parlee(distance_km: float) -> str:
    """A distance as a person would say it after "à moins de": "400 m" under 1 km (rounded up to the next
    100 m, so that "à moins de" stays true), "3,6 km" beyond. Below 100 m there is nothing sensible to
    say in metres (the figure measures from a commune's interior point): see `phrase_distance_mediane`."""
    if distance_km < 1:
        return f"{nombre(math.ceil(round(distance_km * 10, 6)) * 100)}\u202fm"
    return km(distance_km)


def distance_cellule(distance_km) -> str:
    """A distance for a table cell: "moins de 100 m" rather than "0,0 km"; otherwise as `format.km`."""
    if distance_km is not None and not math.isnan(float(distance_km)) and float(distance_km) < SEUIL_DANS_LA_COMMUNE_KM:
        return "moins de 100\u202fm"
    return km(distance_km)


def phrase_distance_mediane(distance_km: float) -> str:
    """The sentence on the population-weighted median distance to the nearest place.

    Under 100 m, "à moins de 0,0 km" would say nothing: the median commune has a place at its very
    centre, so at least half the inhabitants have one in their own commune.
    """
    if distance_km < SEUIL_DANS_LA_COMMUNE_KM:
        return "Au moins la moitié des habitants ont un lieu d'inclusion numérique dans leur commune."
    return f"La moitié des habitants vit à moins de {distance_parlee(distance_km)} du lieu le plus proche."
