"""Benchmark of the diagnostic (`make bench`, `python -m diagnostics.bench`): the command line as a
whole process beside the naive geopandas script a GIS analyst would write (`scripts/
naif_sjoin_nearest.py`, same files), national and département timings in-process, warm, and the
same computations with geopandas `sjoin_nearest` and the `access` package on the same inputs, with
the largest relative difference between the results.

Places: the embedded snapshot (data/lieux.parquet) when present, else ANCT's 2023 France Services list
from the shared data folder (a developer's checkout).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from . import bench_evolution, reference, territories
from .diagnostic import PARTIES, diagnostic
from .indicators import accessibilite as acc
from .indicators import comparaison as cmp
from .indicators import horaires
from .indicators import distances as dist
from .paths import DATA_DIR, ROOT_DIR, SHARED_DIR
from .sources.base import SourceIndisponible, SourceInfo
from .standard import doublons
from .standard.fields import CODE_COMMUNE, to_places_frame

FRANCE_SERVICES = SHARED_DIR / "data" / "extra" / "france_services_2023_portrea.csv"


def lieux_france_services(path: Path = FRANCE_SERVICES) -> gpd.GeoDataFrame:
    """ANCT's France Services list (CSV) as a canonical places frame, communes mapped to 2026 codes.

    A light path for benchmarks and tests: the raw records of `build.france_services` (OSM hours)
    coerced to the contract, without the snapshot's normalization and de-duplication.
    """
    from .build import france_services

    records = france_services.to_records(france_services.read(path))
    passage = reference.passage()
    vers_2026 = passage[passage["prefere"]].drop_duplicates("code_source").set_index("code_source")["code_2026"]
    records[CODE_COMMUNE] = records["code_insee"].map(vers_2026).fillna("")
    return to_places_frame(records)


def lieux_nationaux() -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """The national places to benchmark on, and where they come from."""
    if (DATA_DIR / "lieux.parquet").exists():
        from .places import lieux_embarques

        resultat = lieux_embarques(territories.get("france"))
        return resultat.lieux, resultat.source
    if FRANCE_SERVICES.exists():
        return lieux_france_services(), SourceInfo("fichier", "France Services (ANCT, juillet 2023)", "2023-07-07")
    raise SourceIndisponible(
        f"Ni l'instantané embarqué ({DATA_DIR / 'lieux.parquet'}) ni la liste France Services ({FRANCE_SERVICES}) "
        "ne sont présents : lancez `make data` avant `make bench`."
    )


def chrono(fonction: Callable[[], object], repetitions: int) -> float:
    """Median wall time (s) of `repetitions` runs after one warm-up run."""
    fonction()
    mesures = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction()
        mesures.append(time.perf_counter() - debut)
    return statistics.median(mesures)


NAIF = ROOT_DIR / "scripts" / "naif_sjoin_nearest.py"


def duree_processus(commande: list[str]) -> float:
    """Wall time (s) of one whole process, from its start to its exit (output thrown away)."""
    debut = time.perf_counter()
    subprocess.run(commande, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT_DIR)
    return time.perf_counter() - debut


def paire_processus(a: list[str], b: list[str], repetitions: int) -> tuple[float, float, float]:
    """Medians of A and B and the median of the ratios A/B, the two run in turn (A B A B …) after one
    warm-up each, so that a drift of the machine's speed hits both sides of each pair alike."""
    duree_processus(a), duree_processus(b)
    ta, tb = [], []
    for _ in range(repetitions):
        ta.append(duree_processus(a))
        tb.append(duree_processus(b))
    return statistics.median(ta), statistics.median(tb), statistics.median(x / y for x, y in zip(ta, tb))


def vider_caches_de_lecture() -> None:
    """Forget the per-value caches (opening hours parsed, names and addresses analysed), so that a
    measure is that of a first computation, as in a new process."""
    horaires._lire.cache_clear()
    horaires._parse.cache_clear()
    doublons.vider_cache()


def parties_une_a_une(france, lieux: gpd.GeoDataFrame, source: SourceInfo, repetitions: int) -> None:
    """Each optional part of the national diagnostic, in-process: what it adds to the spatial core, as
    a first computation (caches of values emptied) and then warm."""
    print("Parties du diagnostic national, en plus du cœur spatial (premier calcul ; ensuite) :")
    coeur = chrono(lambda: diagnostic(france, lieux, source, parties=()), repetitions)
    for partie in PARTIES:
        def calcul(partie=partie):
            return diagnostic(france, lieux, source, parties=(partie,))

        premier = chrono(lambda calcul=calcul: (vider_caches_de_lecture(), calcul()), repetitions)
        ensuite = chrono(calcul, repetitions)
        print(f"  {partie} : {max(0.0, premier - coeur):.3f} s ; {max(0.0, ensuite - coeur):.3f} s")
    premier = chrono(lambda: (vider_caches_de_lecture(), diagnostic(france, lieux, source)), max(1, repetitions // 2))
    print(f"  toutes les parties ensemble, cœur compris : {premier:.3f} s au premier calcul\n")


def processus_entiers(departement: str, repetitions: int) -> None:
    """Print `diagnostic indicateurs` (France, then a département) as whole processes against the naive
    script on the same inputs."""
    if not NAIF.exists():
        print(f"Script naïf introuvable ({NAIF}) : comparaison en processus entier ignorée.\n")
        return
    cli = [sys.executable, "-m", "diagnostics", "indicateurs", "--format", "json", "--territoire"]
    naif = [sys.executable, str(NAIF)]
    print(f"Processus entiers (démarrage de Python compris), médiane de {repetitions} paires alternées :")
    cas = (
        ("France", ["france"], []),
        (f"département {departement}", [f"dep:{departement}"], ["--departement", departement]),
        # The naive script's own question (distances and white zones, no quality, offer, hours…).
        ("France", ["france", "--parties", "aucune"], []),
    )
    for libelle, arguments, option in cas:
        t_cli, t_naif, ratio = paire_processus(cli + arguments, naif + option, repetitions)
        print(f"  diagnostic indicateurs --territoire {' '.join(arguments)} --format json : {t_cli:.2f} s ; "
              f"script geopandas sjoin_nearest naïf ({libelle}) : {t_naif:.2f} s ; rapport ×{ratio:.2f}")
    print()


def ecart_relatif(a, b) -> float:
    """Largest |a − b| / max(|a|, |b|) over pairs not both zero (0 when identical)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    echelle = np.maximum(np.abs(a), np.abs(b))
    utiles = echelle > 0
    return float((np.abs(a - b)[utiles] / echelle[utiles]).max()) if utiles.any() else 0.0


def plus_proche_geopandas(lieux_xy: pd.DataFrame) -> pd.Series:
    """Nearest-place distance (km) per commune with geopandas `sjoin_nearest`, zone by zone."""
    communes = dist.communes_projetees()
    morceaux = []
    for zone, epsg in dist.CRS_ZONES.items():
        c = communes[communes["zone_proj"] == zone]
        lz = lieux_xy[lieux_xy["zone_proj"] == zone]
        if lz.empty:
            continue
        gc = gpd.GeoDataFrame(index=c.index, geometry=gpd.points_from_xy(c["x"], c["y"]), crs=epsg)
        gl = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lz["x"], lz["y"]), crs=epsg)
        joint = gpd.sjoin_nearest(gc, gl, distance_col="d")
        morceaux.append(joint.groupby(level=0)["d"].min() / 1000.0)
    return pd.concat(morceaux).reindex(communes.index, fill_value=np.inf)


def table_couts(lieux_xy: pd.DataFrame, rayon_km: float) -> pd.DataFrame:
    """Long-form cost table (origin commune, dest place, cost km) for `access`, on the same pairs as ours."""
    communes = dist.communes_projetees()
    morceaux = []
    for zone in pd.unique(lieux_xy["zone_proj"]):
        if not zone:
            continue
        arbre, positions = dist.arbre_communes(zone)
        lz = lieux_xy[lieux_xy["zone_proj"] == zone]
        arbre_lieux = cKDTree(lz[["x", "y"]].to_numpy())
        paires = arbre.sparse_distance_matrix(arbre_lieux, rayon_km * 1000.0, output_type="ndarray")
        morceaux.append(
            pd.DataFrame(
                {
                    "origin": communes.index.to_numpy()[positions][paires["i"]],
                    "dest": lz.index.to_numpy()[paires["j"]],
                    "cost": paires["v"] / 1000.0,
                }
            )
        )
    return pd.concat(morceaux, ignore_index=True)


def e2sfca_access(lieux_xy: pd.DataFrame, couts: pd.DataFrame, rayon_km: float) -> pd.Series:
    """E2SFCA with the `access` package (pysal), per 10,000 inhabitants, same decay and catchment."""
    from access import Access, weights

    communes = dist.communes_projetees()
    demande = pd.DataFrame({"population": communes["population"].astype(float)}, index=communes.index.rename("geoid"))
    localises = lieux_xy[lieux_xy["zone_proj"] != ""]
    offre = pd.DataFrame({"lieux": np.ones(len(localises))}, index=localises.index.rename("geoid"))
    modele = Access(
        demand_df=demande, demand_index=True, demand_value="population",
        supply_df=offre, supply_index=True, supply_value="lieux",
        cost_df=couts, cost_origin="origin", cost_dest="dest", cost_name="cost",
    )
    resultat = modele.enhanced_two_stage_fca(
        name="e2sfca", weight_fn=weights.gaussian(rayon_km / 2.0), max_cost=rayon_km
    )
    return resultat.iloc[:, 0].reindex(communes.index).fillna(0.0) * acc.PAR_HABITANTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diagnostics.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--departement", default="29", help="code du département chronométré (29 par défaut)")
    parser.add_argument("--repetitions", type=int, default=5, help="mesures après un passage d'échauffement")
    args = parser.parse_args(argv)
    try:
        lieux, source = lieux_nationaux()
    except SourceIndisponible as exc:
        print(exc, file=sys.stderr)
        return 1
    n = args.repetitions
    france = territories.get("france")
    departement = territories.get(f"dep:{args.departement}")
    # A département's diagnostic gets its places and its neighbours' within 30 km, as the app loads them.
    perimetre = set(departement.codes_communes) | set(territories.buffer_communes(departement, 30))
    lieux_dep = lieux[lieux[CODE_COMMUNE].isin(perimetre)].reset_index(drop=True)
    rayon = acc.RAYON_KM

    print(f"Lieux : {len(lieux)} ({source.libelle}, {source.date}) ; communes : {len(dist.communes_projetees())}")
    print(f"Mesures : médiane de {n} passages après échauffement.\n")
    processus_entiers(args.departement, n)
    coeur = ("comparaison",)
    t_nat = chrono(lambda: diagnostic(france, lieux, source, parties=(), nb_sites=0), n)
    print(f"Diagnostic national, cœur spatial (distances, parts sous seuils, E2SFCA, zones blanches) : {t_nat:.3f} s")
    t_dep = chrono(lambda: diagnostic(departement, lieux_dep, source, lieux_nationaux=lieux, source_nationale=source,
                                      parties=coeur, nb_sites=0), n)
    print(f"Diagnostic du département {departement.code} ({len(lieux_dep)} lieux avec le voisinage), cœur spatial "
          f"et comparaisons (références nationales en cache) : {t_dep:.3f} s")
    t_refs = chrono(lambda: (cmp.vider_cache(), cmp.references(lieux)), n)
    print(f"Références nationales pour les comparaisons (tous niveaux, sans cache) : {t_refs:.3f} s")
    t_sites = chrono(lambda: diagnostic(departement, lieux_dep, source, parties=("ou_ouvrir",)), n)
    print(f"Diagnostic du département {departement.code} avec « où ouvrir » (5 sites) : {t_sites:.3f} s")
    t_complet_dep = chrono(lambda: diagnostic(departement, lieux_dep, source, lieux_nationaux=lieux,
                                              source_nationale=source), max(1, n // 2))
    print(f"Diagnostic complet du département {departement.code} (offre, horaires, qualité, fragilité) : "
          f"{t_complet_dep:.3f} s")
    t_complet_nat = chrono(lambda: diagnostic(france, lieux, source), 1)
    print(f"Diagnostic national complet (offre, horaires, qualité, fragilité, où ouvrir) : {t_complet_nat:.3f} s\n")
    parties_une_a_une(france, lieux, source, max(1, n // 2))

    xy = dist.projeter_lieux(lieux)
    communes = dist.communes_projetees()
    t_ppv = chrono(lambda: dist.distance_plus_proche(communes, dist.projeter_lieux(lieux)), n)
    t_sjoin = chrono(lambda: plus_proche_geopandas(xy), n)
    # a zone without any place: inf on both sides, compared as equal
    ecart_ppv = ecart_relatif(
        dist.distance_plus_proche(communes, xy).replace(np.inf, -1), plus_proche_geopandas(xy).replace(np.inf, -1)
    )
    print(f"Lieu le plus proche, {len(communes)} communes : {t_ppv:.3f} s ; geopandas sjoin_nearest : {t_sjoin:.3f} s "
          f"(×{t_sjoin / t_ppv:.1f}) ; écart relatif max {ecart_ppv:.1e}")

    t_e2 = chrono(lambda: acc.accessibilite_e2sfca(lieux, rayon_km=rayon), n)
    couts = table_couts(xy, rayon)
    t_access = chrono(lambda: e2sfca_access(xy, couts, rayon), max(1, n // 2))
    ecart_e2 = ecart_relatif(acc.accessibilite_e2sfca(lieux, rayon_km=rayon), e2sfca_access(xy, couts, rayon))
    print(f"E2SFCA ({len(couts)} paires commune-lieu à moins de {rayon:g} km) : {t_e2:.3f} s ; access (pysal), "
          f"table de coûts fournie : {t_access:.3f} s (×{t_access / t_e2:.1f}) ; écart relatif max {ecart_e2:.1e}\n")
    bench_evolution.main(max(1, n // 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
