"""Compare a collector's standardized places with the national data of the same territory: new places,
places whose fields differ (field by field), national places missing from the file, likely duplicates.

Places are matched on the same `id`, then on the duplicate rule of `standard.doublons` (name, address,
distance within a commune), best score first, one national place per file place.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .doublons import candidats_doublons
from .fields import LIGNE_SOURCE, LIST_FIELDS, field_names, split_list

ECART_POSITION_M = 100.0  # closer than this, two positions are the same spot
MODIFIE, AJOUTE, RETIRE = "modifié", "renseigné dans le fichier seulement", "vide dans le fichier"
_RESUME = ["id", "nom", "adresse", "code_postal", "commune", "code_insee"]
_EARTH_RADIUS_M = 6_371_008.8


@dataclass
class Rapprochement:
    """Result of `rapprocher`; every table is ready to show or download (French column names)."""

    correspondances: pd.DataFrame  # ligne, id_fichier, id_national, nom, score, raisons
    nouveaux: pd.DataFrame  # file places with no national match
    differences: pd.DataFrame  # ligne, id_fichier, id_national, nom, champ, valeur_fichier, valeur_nationale, nature
    absents: pd.DataFrame  # national places matched by no file place
    doublons: pd.DataFrame  # likely duplicates inside the file: ligne_a, ligne_b, nom_a, nom_b, score, raisons

    def resume(self) -> list[str]:
        """French lines with the counts."""
        modifies = self.differences["ligne"].nunique() if len(self.differences) else 0
        return [
            f"{len(self.correspondances)} lieux du fichier retrouvés dans les données nationales, "
            f"dont {modifies} avec au moins un champ différent",
            f"{len(self.nouveaux)} lieux du fichier absents des données nationales (nouveaux)",
            f"{len(self.absents)} lieux des données nationales absents du fichier",
            f"{len(self.doublons)} paires de doublons probables dans le fichier",
        ]


def rapprocher(fichier: pd.DataFrame, national: pd.DataFrame, seuil: float = 0.8) -> Rapprochement:
    """Match the file's places with the national places and list what differs.

    Parameters
    ----------
    fichier, national : canonical places frames (same territory; `ligne_source` numbers the file's rows).
    seuil : minimum duplicate score (0–1) for two places to be taken as the same.
    """
    f = fichier.reset_index(drop=True)
    n = national.reset_index(drop=True)
    lignes = f[LIGNE_SOURCE].to_numpy() if LIGNE_SOURCE in f else np.arange(1, len(f) + 1)
    match = {
        int(a): (int(b), float(score), methode)
        for a, b, score, methode in apparier(f, n, seuil).itertuples(index=False)
    }
    correspondances = pd.DataFrame(
        [(lignes[i], f.at[i, "id"], n.at[j, "id"], f.at[i, "nom"], s, r) for i, (j, s, r) in sorted(match.items())],
        columns=["ligne", "id_fichier", "id_national", "nom", "score", "raisons"],
    )
    ia = np.array(sorted(match), dtype=int)
    ib = np.array([match[i][0] for i in ia], dtype=int)
    differences = _differences(f, n, ia, ib, lignes)
    nouveaux = f.loc[[i for i in range(len(f)) if i not in match], _RESUME].copy()
    nouveaux.insert(0, "ligne", lignes[nouveaux.index.to_numpy()])
    pris = {j for j, _, _ in match.values()}
    absents = n.loc[[j for j in range(len(n)) if j not in pris], _RESUME].copy()
    intra = candidats_doublons(f.drop(columns="geometry", errors="ignore"), seuil=seuil)
    doublons = pd.DataFrame(
        {
            "ligne_a": lignes[intra["index_a"].to_numpy(dtype=int)],
            "ligne_b": lignes[intra["index_b"].to_numpy(dtype=int)],
            "nom_a": f["nom"].to_numpy()[intra["index_a"].to_numpy(dtype=int)],
            "nom_b": f["nom"].to_numpy()[intra["index_b"].to_numpy(dtype=int)],
            "score": intra["score"].to_numpy(),
            "raisons": intra["raisons"].to_numpy(),
        }
    )
    return Rapprochement(
        correspondances=correspondances,
        nouveaux=nouveaux.reset_index(drop=True),
        differences=differences,
        absents=absents.reset_index(drop=True),
        doublons=doublons,
    )


def apparier(a: pd.DataFrame, b: pd.DataFrame, seuil: float = 0.8) -> pd.DataFrame:
    """One-to-one matches between the places of `a` and `b` (two pictures of the same territory).

    The same non-empty `id` first; then the duplicate rule of `standard.doublons` on the places left,
    best score first, so a file re-exported with new ids still finds its places.

    Returns
    -------
    DataFrame with index_a, index_b (positions in `a` and `b`), score (1 for the same id) and methode
    (French: "même identifiant", or the reasons the duplicate rule gives), in the order of `a`.
    """
    rows: list[tuple[int, int, float, str]] = []
    ids_b: dict[str, int] = {}
    for j, v in enumerate(b["id"].astype(str)):
        if v:
            ids_b.setdefault(v, j)
    pris_a, pris_b = set(), set()
    for i, v in enumerate(a["id"].astype(str)):
        j = ids_b.get(v) if v else None
        if j is not None and j not in pris_b:
            rows.append((i, j, 1.0, "même identifiant"))
            pris_a.add(i)
            pris_b.add(j)
    reste_a = [i for i in range(len(a)) if i not in pris_a]
    reste_b = [j for j in range(len(b)) if j not in pris_b]
    if reste_a and reste_b:
        both = pd.concat(
            [a.iloc[reste_a].drop(columns="geometry", errors="ignore"), b.iloc[reste_b].drop(columns="geometry", errors="ignore")],
            ignore_index=True,
        )
        origine = np.array(reste_a + [-1 - j for j in reste_b])  # b's positions as -1 - j
        paires = candidats_doublons(both, seuil=seuil, groupes=origine >= 0)
        for x, y, score, raisons in zip(paires["index_a"], paires["index_b"], paires["score"], paires["raisons"]):
            i, j = sorted((int(origine[x]), int(origine[y])), reverse=True)
            j = -1 - j
            if i not in pris_a and j not in pris_b:
                rows.append((i, j, float(score), raisons))
                pris_a.add(i)
                pris_b.add(j)
    rows.sort()
    return pd.DataFrame(rows, columns=["index_a", "index_b", "score", "methode"])


def valeurs(lieux: pd.DataFrame, champ: str) -> np.ndarray:
    """A field's cells as stripped text ("" when empty or absent), as an object array."""
    if champ not in lieux:
        return np.full(len(lieux), "", dtype=object)
    return lieux[champ].fillna("").astype(str).str.strip().to_numpy(dtype=object)


def ensembles(cellules: np.ndarray, classes: dict[str, str] | None = None) -> np.ndarray:
    """List cells as their sorted distinct values (or those values' classes), so "a|b" and "b|a" are the
    same; computed once per distinct cell."""
    if not len(cellules):
        return np.array([], dtype=object)
    inverse, distinctes = pd.factorize(cellules)  # hashing: sorting 12,000 strings costs more
    classes = classes or {}
    canon = np.array(["|".join(sorted({classes.get(v, v) for v in split_list(x)})) for x in distinctes], dtype=object)
    return canon[inverse]


def champ_different(
    a: pd.DataFrame, b: pd.DataFrame, ia: np.ndarray, ib: np.ndarray, champ: str, classes: dict[str, str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One field compared over matched places (rows `ia` of `a` against rows `ib` of `b`), column-wise:
    (values in a, values in b, whether they differ). A list field is compared as a set, or as a set of
    `classes` when given."""
    va, vb = valeurs(a, champ)[ia], valeurs(b, champ)[ib]
    if champ in LIST_FIELDS:
        return va, vb, ensembles(va, classes) != ensembles(vb, classes)
    return va, vb, va != vb


def distances_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distances in metres, element-wise (NaN where a position is missing)."""
    la1, lo1, la2, lo2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def coordonnees(lieux: pd.DataFrame, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (floats, NaN when missing) of the rows `index`."""
    lat = pd.to_numeric(lieux["latitude"], errors="coerce").to_numpy(dtype=float)[index]
    lon = pd.to_numeric(lieux["longitude"], errors="coerce").to_numpy(dtype=float)[index]
    return lat, lon


_COLONNES_DIFFERENCES = ["ligne", "id_fichier", "id_national", "nom", "champ", "valeur_fichier", "valeur_nationale", "nature"]


def _differences(f: pd.DataFrame, n: pd.DataFrame, ia: np.ndarray, ib: np.ndarray, lignes: np.ndarray) -> pd.DataFrame:
    """One row per differing field of each match, a match's fields together in the schema's order, its
    position (farther than ECART_POSITION_M, or present on one side only) last."""
    parts = []
    champs = [c for c in field_names() if c not in ("id", "latitude", "longitude")]
    for rang, champ in enumerate(champs):
        va, vb, differe = champ_different(f, n, ia, ib, champ)
        parts.append((rang, np.flatnonzero(differe), champ, va[differe], vb[differe]))
    lat_f, lon_f = coordonnees(f, ia)
    lat_n, lon_n = coordonnees(n, ib)
    present_f, present_n = ~(np.isnan(lat_f) | np.isnan(lon_f)), ~(np.isnan(lat_n) | np.isnan(lon_n))
    ecart = distances_m(lat_f, lon_f, lat_n, lon_n)
    bouge = np.where(present_f & present_n, ecart > ECART_POSITION_M, present_f != present_n)
    parts.append((
        len(champs), np.flatnonzero(bouge), "position (latitude, longitude)",
        np.array([texte_position(la, lo) for la, lo in zip(lat_f[bouge], lon_f[bouge])], dtype=object),
        np.array([texte_position(la, lo) for la, lo in zip(lat_n[bouge], lon_n[bouge])], dtype=object),
    ))
    table = pd.concat(
        [pd.DataFrame({"_match": k, "_rang": rang, "champ": champ, "valeur_fichier": va, "valeur_nationale": vb})
         for rang, k, champ, va, vb in parts],
        ignore_index=True,
    ).sort_values(["_match", "_rang"], kind="stable")
    k = table["_match"].to_numpy(dtype=int)
    va, vb = table["valeur_fichier"].to_numpy(dtype=object), table["valeur_nationale"].to_numpy(dtype=object)
    table["ligne"] = lignes[ia[k]]
    table["id_fichier"] = f["id"].to_numpy()[ia[k]]
    table["id_national"] = n["id"].to_numpy()[ib[k]]
    table["nom"] = f["nom"].to_numpy()[ia[k]]
    table["nature"] = np.where((va != "") & (vb != ""), MODIFIE, np.where(va != "", AJOUTE, RETIRE))
    return table[_COLONNES_DIFFERENCES].reset_index(drop=True)


def texte_position(lat: float, lon: float) -> str:
    """A position as it is shown in a table of changes ("48.390000, -4.490000"; "" when missing)."""
    return "" if np.isnan(lat) or np.isnan(lon) else f"{lat:.6f}, {lon:.6f}"
