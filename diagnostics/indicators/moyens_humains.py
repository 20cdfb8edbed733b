"""Human means of a territory: conseillers numériques (attribués / recrutés / formés, 2023) and aidants
habilités Aidants Connect with their activity (export of February 2024), per 10,000 inhabitants and per
place, beside the territory's parents and the median of its peers.

Both files count people per employing structure: they are counted in the structure's commune, not where
they work. Per-commune totals are computed once per process; any unit's figures are sums over them.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import zonage
from .densite import PAR_HABITANTS, lieux_par_commune
from .distances import communes_projetees

CONSEILLERS = ("attribues", "recrutes", "formes")
# Démarches by theme as Aidants Connect names them (FNE shows the top four).
THEMES = {
    "demarches_papiers": "Papiers - Citoyenneté",
    "demarches_famille": "Famille",
    "demarches_social": "Social - Santé",
    "demarches_travail": "Travail",
    "demarches_logement": "Logement",
    "demarches_transport": "Transports",
    "demarches_argent": "Argent",
    "demarches_justice": "Justice",
    "demarches_etranger": "Étranger",
    "demarches_loisirs": "Loisirs",
}
NB_THEMES = 4
_AIDANTS = ("nb_aidants", "usagers_uniques", "demarches", *THEMES)
# Level → column of communes_projetees naming the unit.
_CLE = {"commune": None, "epci": "epci", "departement": "dep", "region": "reg", "france": "france"}


@lru_cache(maxsize=1)
def _par_commune() -> pd.DataFrame:
    """Per 2026 commune (index of communes_projetees): structures and counts of both files."""
    index = communes_projetees().index
    out = pd.DataFrame(index=index)
    cn = zonage.conseillers_numeriques()
    pos = index.get_indexer(cn["code_commune_2026"].astype(str))
    ok = pos >= 0
    out["cn_structures"] = np.bincount(pos[ok], minlength=len(index))
    for c in CONSEILLERS:
        out[f"cn_{c}"] = np.bincount(pos[ok], weights=cn[c].to_numpy(dtype=float)[ok], minlength=len(index))
    ac = zonage.aidants_connect()
    ac = ac[ac["actif"].to_numpy(dtype=bool)]
    pos = index.get_indexer(ac["code_commune_2026"].astype(str))
    ok = pos >= 0
    out["ac_structures"] = np.bincount(pos[ok], minlength=len(index))
    for c in _AIDANTS:
        out[f"ac_{c}"] = np.bincount(pos[ok], weights=ac[c].to_numpy(dtype=float)[ok], minlength=len(index))
    return out.astype("int64")


def _unites(niveau: str) -> np.ndarray:
    c = communes_projetees()
    if niveau == "france":
        return np.full(len(c), "france", dtype=object)
    if niveau == "commune":
        return c.index.to_numpy(dtype=object)
    return c[_CLE[niveau]].to_numpy(dtype=object)


def table_niveau(niveau: str, nb_lieux: pd.Series | None = None) -> pd.DataFrame:
    """Counts and population of every unit of `niveau` (indexed by unit code; "france" for France), plus
    nb_lieux when the per-commune place counts `nb_lieux` (indexed by commune code) are given."""
    base = _table_niveau(niveau)
    if nb_lieux is None:
        return base
    n = nb_lieux.reindex(communes_projetees().index, fill_value=0)
    unites = n if niveau == "commune" else pd.Series(n.to_numpy(dtype=float)).groupby(_unites(niveau)).sum()
    return base.assign(nb_lieux=unites.reindex(base.index, fill_value=0).astype("int64"))


@lru_cache(maxsize=8)
def _table_niveau(niveau: str) -> pd.DataFrame:
    valeurs = _par_commune().assign(population=communes_projetees()["population"].to_numpy())
    unites = _unites(niveau)
    garder = unites != ""
    return valeurs[garder].groupby(unites[garder]).sum()


def _ratio(n, d, chiffres: int = 4):
    return round(float(n) / float(d), chiffres) if d and d > 0 else None


def _rapport(n: pd.Series, d: pd.Series) -> pd.Series:
    return (n.astype(float) / d.where(d > 0)).round(4)


def figures_table(table: pd.DataFrame) -> pd.DataFrame:
    """Headline figures of every unit of a `table_niveau` table (vectorised): population, nb_lieux (NA
    without place counts), recruited conseillers and aidants habilités, per 10,000 inhabitants and per place."""
    pop = table["population"].astype(float)
    lieux = table["nb_lieux"].astype(float) if "nb_lieux" in table else pd.Series(np.nan, index=table.index)
    cn, ac = table["cn_recrutes"], table["ac_nb_aidants"]
    return pd.DataFrame(
        {
            "population": table["population"],
            "nb_lieux": lieux,
            "conseillers_numeriques_recrutes": cn,
            "conseillers_numeriques_pour_10000_habitants": _rapport(cn * PAR_HABITANTS, pop),
            "conseillers_numeriques_par_lieu": _rapport(cn, lieux),
            "aidants_habilites": ac,
            "aidants_pour_10000_habitants": _rapport(ac * PAR_HABITANTS, pop),
            "aidants_par_lieu": _rapport(ac, lieux),
        }
    )


def _json(ligne: pd.Series) -> dict:
    out = {}
    for k, v in ligne.items():
        if pd.isna(v):
            out[k] = None
        elif float(v).is_integer() and not k.endswith(("_habitants", "_par_lieu")):
            out[k] = int(v)
        else:
            out[k] = round(float(v), 4)
    return out


def resume_moyens_humains(
    territoire,
    nb_lieux: int,
    *,
    parents: Sequence = (),
    pairs: Sequence = (),
    lieux_nationaux: pd.DataFrame | None = None,
) -> dict:
    """The `moyens_humains` block of the diagnostic.

    Parameters
    ----------
    territoire : the Territoire; nb_lieux : its places (the per-place figures' denominator).
    parents, pairs : Territoires to compare with (`comparaison` holds their figures and the peers' median).
    lieux_nationaux : national places (code_commune_2026) for the parents' and peers' per-place figures;
        without them these figures are null.
    """
    codes = list(territoire.codes_communes)
    valeurs = _par_commune().iloc[communes_projetees().index.get_indexer(pd.Index(codes, dtype=object))]
    total = valeurs.sum()
    pop = int(communes_projetees()["population"].iloc[communes_projetees().index.get_indexer(codes)].sum())
    themes = sorted(((THEMES[k], int(total[f"ac_{k}"])) for k in THEMES), key=lambda kv: (-kv[1], kv[0]))
    somme_themes = sum(n for _, n in themes)
    conseillers = {
        "source": zonage.source("conseillers_numeriques"),
        "date": zonage.FICHIERS["conseillers_numeriques"][2],
        "nb_structures": int(total["cn_structures"]),
        **{c: int(total[f"cn_{c}"]) for c in CONSEILLERS},
        **{f"{c}_pour_10000_habitants": _ratio(total[f"cn_{c}"] * PAR_HABITANTS, pop) for c in CONSEILLERS},
        **{f"{c}_par_lieu": _ratio(total[f"cn_{c}"], nb_lieux) for c in CONSEILLERS},
        "remarque": "Comptés dans la commune de la structure qui les emploie (2023), pas là où ils interviennent.",
    }
    aidants = {
        "source": zonage.source("aidants_connect"),
        "date": zonage.FICHIERS["aidants_connect"][2],
        "nb_structures": int(total["ac_structures"]),
        "aidants_habilites": int(total["ac_nb_aidants"]),
        "aidants_pour_10000_habitants": _ratio(total["ac_nb_aidants"] * PAR_HABITANTS, pop),
        "aidants_par_lieu": _ratio(total["ac_nb_aidants"], nb_lieux),
        "usagers_uniques": int(total["ac_usagers_uniques"]),
        "demarches": int(total["ac_demarches"]),
        "demarches_par_theme": [
            {"theme": nom, "demarches": n, "part": _ratio(n, somme_themes, 6)} for nom, n in themes
        ],
        "principaux_themes": [nom for nom, n in themes[:NB_THEMES] if n > 0],
        "remarque": "Structures actives seulement ; démarches par thème telles que les déclare Aidants Connect.",
    }
    return {
        "source": "Conseillers numériques (ANCT, 2023) ; Aidants Connect (export du 22 février 2024)",
        "date": "2023 / 2024-02-22",
        "population": pop,
        "nb_lieux": int(nb_lieux),
        "conseillers_numeriques": conseillers,
        "aidants_connect": aidants,
        "comparaison": _comparaison(territoire, parents, pairs, lieux_nationaux),
    }


def _comparaison(territoire, parents, pairs, lieux_nationaux) -> dict:
    nb = None
    if lieux_nationaux is not None:
        nb = lieux_par_commune(lieux_nationaux, communes_projetees().index)
    out: dict = {}
    for parent in parents:
        if parent.niveau in out or parent.niveau not in _CLE:
            continue  # an EPCI over two départements: its main one, listed first
        table = figures_table(table_niveau(parent.niveau, nb))
        code = "france" if parent.niveau == "france" else parent.code
        if code in table.index:
            out[parent.niveau] = {"id": parent.id, "nom": parent.nom, **_json(table.loc[code])}
    if territoire.niveau not in _CLE:  # a custom perimeter or an arrondissement: no peers of its kind here
        out["mediane_pairs"] = None
        return out
    table = figures_table(table_niveau(territoire.niveau, nb))
    autres = pd.Index([p.code for p in pairs if p.id != territoire.id], dtype=object)
    autres = autres[autres.isin(table.index)]
    if len(autres):
        mediane = table.loc[autres].median()
        out["mediane_pairs"] = {"niveau": territoire.niveau, "nb_pairs": len(autres), **_json(mediane)}
    else:
        out["mediane_pairs"] = None
    return out
