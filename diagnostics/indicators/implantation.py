"""Where to open next: a greedy maximal-coverage choice of new sites among commune inner points, each
step taking the site that brings the most inhabitants within reach of a place."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree


METHODE = (
    "choix glouton de couverture maximale : à chaque étape, le point intérieur de commune qui place le plus "
    "d'habitants encore non couverts à moins du rayon d'un lieu (lieux existants compris)"
)
COLONNES = [
    "rang",
    "code",
    "nom",
    "population_nouvellement_couverte",
    "communes_nouvellement_couvertes",
    "population_couverte_cumulee",
    "part_population_couverte",
]


def ou_ouvrir(
    communes: pd.DataFrame,
    distances: pd.Series,
    n: int = 5,
    *,
    rayon_km: float = 10.0,
    candidats: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Up to `n` new sites, in order, that most increase the population living within `rayon_km` of a place.

    Coverage is kept as sparse (candidate, commune) pairs; each step's gains are one weighted bincount.

    Parameters
    ----------
    communes : the demand, the territory's communes indexed by code with nom, population and their
        inner point's x, y (metres) and zone_proj (see `distances.communes_choisies`).
    distances : km from each commune to the nearest existing place (indexed by code; places outside the
        territory count), so communes already within `rayon_km` are covered from the start.
    n : number of sites wanted; fewer are returned when no site covers anyone new.
    rayon_km : coverage radius.
    candidats : inner points that may host a site, same columns (default: `communes`).

    Returns
    -------
    One row per site: rang, code, nom, population_nouvellement_couverte,
    communes_nouvellement_couvertes, population_couverte_cumulee and part_population_couverte (0–1,
    of the territory's population, after this site). Ties go to the candidate listed first.
    """
    demande = communes
    cand = communes if candidats is None else candidats
    pop = demande["population"].to_numpy(dtype=float)
    total = pop.sum()
    d = distances.reindex(demande.index).to_numpy(dtype=float)
    non_couvert = ~(np.nan_to_num(d, nan=np.inf) <= rayon_km)

    i, j = _paires(cand, demande, rayon_km * 1000.0)
    lignes = []
    cumul = float(pop[~non_couvert].sum())
    for rang in range(1, n + 1):
        if not len(cand):
            break
        gains = np.bincount(i, weights=(pop * non_couvert)[j], minlength=len(cand))
        meilleur = int(np.argmax(gains))
        if gains[meilleur] <= 0:
            break
        nouveaux = j[i == meilleur]
        nouveaux = nouveaux[non_couvert[nouveaux]]
        cumul += float(gains[meilleur])
        non_couvert[nouveaux] = False
        lignes.append(
            {
                "rang": rang,
                "code": cand.index[meilleur],
                "nom": cand["nom"].iloc[meilleur],
                "population_nouvellement_couverte": int(round(gains[meilleur])),
                "communes_nouvellement_couvertes": int(len(nouveaux)),
                "population_couverte_cumulee": int(round(cumul)),
                "part_population_couverte": cumul / total if total > 0 else float("nan"),
            }
        )
    return pd.DataFrame(lignes, columns=COLONNES)


def _paires(candidats: pd.DataFrame, demande: pd.DataFrame, rayon_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Coverage pairs (candidate row, demand row) within `rayon_m` in the same projection zone."""
    lignes, colonnes = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    cz, dz = candidats["zone_proj"].to_numpy(), demande["zone_proj"].to_numpy()
    for zone in np.intersect1d(pd.unique(cz), pd.unique(dz)):
        ic, idm = np.flatnonzero(cz == zone), np.flatnonzero(dz == zone)
        arbre_c = cKDTree(candidats[["x", "y"]].to_numpy()[ic])
        arbre_d = cKDTree(demande[["x", "y"]].to_numpy()[idm])
        paires = arbre_c.sparse_distance_matrix(arbre_d, rayon_m, output_type="ndarray")
        lignes.append(ic[paires["i"]])
        colonnes.append(idm[paires["j"]])
    return np.concatenate(lignes), np.concatenate(colonnes)

