"""Compare a collector's standardized places with the national data of the same territory: new places,
places whose fields differ (field by field), national places missing from the file, likely duplicates.

Places are matched on the same `id`, then on the duplicate rule of `standard.doublons` (name, address,
distance within a commune), best score first, one national place per file place.
"""
from __future__ import annotations

import math
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
    differences = [
        (lignes[i], f.at[i, "id"], n.at[j, "id"], f.at[i, "nom"], *d)
        for i, (j, _, _) in sorted(match.items())
        for d in _differences(f.iloc[i], n.iloc[j])
    ]
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
        differences=pd.DataFrame(
            differences,
            columns=["ligne", "id_fichier", "id_national", "nom", "champ", "valeur_fichier", "valeur_nationale", "nature"],
        ),
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


def _differences(a: pd.Series, b: pd.Series) -> list[tuple[str, str, str, str]]:
    """(field, file value, national value, nature) for each field that differs; positions by distance."""
    out = []
    for name in field_names():
        if name in ("id", "latitude", "longitude"):
            continue
        va, vb = str(a.get(name, "") or "").strip(), str(b.get(name, "") or "").strip()
        same = set(split_list(va)) == set(split_list(vb)) if name in LIST_FIELDS else va == vb
        if not same:
            out.append((name, va, vb, _nature(va, vb)))
    pa, pb = _point(a), _point(b)
    if pa != pb:
        ecart = _distance_m(pa, pb) if pa and pb else math.inf
        if ecart > ECART_POSITION_M:
            ta, tb = _point_texte(pa), _point_texte(pb)
            out.append(("position (latitude, longitude)", ta, tb, _nature(ta, tb)))
    return out


def _nature(va: str, vb: str) -> str:
    return MODIFIE if va and vb else AJOUTE if va else RETIRE


def _point(row: pd.Series) -> tuple[float, float] | None:
    lat, lon = pd.to_numeric(row.get("latitude"), errors="coerce"), pd.to_numeric(row.get("longitude"), errors="coerce")
    return (float(lat), float(lon)) if pd.notna(lat) and pd.notna(lon) else None


def _point_texte(p: tuple[float, float] | None) -> str:
    return f"{p[0]:.6f}, {p[1]:.6f}" if p else ""


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))
