"""What a GIS analyst would write instead of `diagnostic indicateurs`: the benchmark's baseline.

Reads the same shipped files (communes with their inner points and populations, the embedded places),
projects everything to Lambert-93, joins each commune to its nearest place with geopandas
`sjoin_nearest`, and prints the headline distance figures as JSON. It knows nothing of overseas
projections, neighbours, offer, hours or data quality: it is the floor a whole-process time is
compared with (`make bench`), not a second implementation.

Usage: python scripts/naif_sjoin_nearest.py [--departement 29]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import numpy as np

DATA = Path(__file__).resolve().parent.parent / "data"
SEUILS_KM = (5, 10, 15, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departement", help="restreindre aux communes et lieux d'un département")
    args = parser.parse_args()

    # Whole files, as one reads them at first: the communes' polygons come along with their inner points.
    communes = gpd.read_parquet(DATA / "communes.parquet")
    lieux = gpd.read_parquet(DATA / "lieux.parquet")
    lieux = lieux[~lieux.geometry.is_empty & lieux.geometry.notna()]
    if args.departement:
        communes = communes[communes["dep"] == args.departement]
        lieux = lieux[lieux["code_commune_2026"].str.startswith(args.departement)]
    points = gpd.GeoDataFrame(
        communes[["code", "population"]], geometry=gpd.points_from_xy(communes["pos_lon"], communes["pos_lat"]), crs=4326
    ).to_crs(2154)
    joint = gpd.sjoin_nearest(points, lieux.to_crs(2154), distance_col="distance_m")
    joint = joint[~joint.index.duplicated()]
    km = joint["distance_m"].to_numpy() / 1000.0
    population = joint["population"].to_numpy(dtype=float)
    ordre = np.argsort(km)
    cumul = np.cumsum(population[ordre])
    mediane = float(km[ordre][np.searchsorted(cumul, cumul[-1] / 2.0)])
    print(json.dumps({
        "nb_communes": int(len(points)),
        "nb_lieux": int(len(lieux)),
        "distance_mediane_km": round(mediane, 3),
        "distance_moyenne_km": round(float(np.average(km, weights=population)), 3),
        "part_population_a_moins_de": {
            str(s): round(float(population[km <= s].sum() / population.sum()), 4) for s in SEUILS_KM
        },
        "zones_blanches_population": int(population[km > 10].sum()),
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
