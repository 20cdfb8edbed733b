"""Need side of the diagnostic: the Indice de fragilité numérique (IFN) per commune and unit, and a
priority ranking of communes that crosses fragility, population and (lack of) access to a place.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import reference

# Seven equal-width classes on 0–10, as Mon Inclusion Numérique draws them (class = ceil(score × 7 / 10)).
NB_CLASSES = 7
LIBELLES_CLASSES = (
    "risque faible",
    "risque assez faible",
    "risque plutôt faible",
    "risque moyen",
    "risque plutôt fort",
    "risque assez fort",
    "risque fort",
)
# Mon Inclusion Numérique's palette (anct-cnum/suite-gestionnaire-numerique, indiceFragilitePresenter.ts):
# a diverging blue → pale → red scale between the two anchor colours, kept so our maps read like the
# national ones (a straight RGB interpolation would turn the middle classes muddy purple) — except the last
# class: the national #D95C5E was 7.5 CIEDE2000 from the sixth class with deuteranopia (7.9 with normal
# vision), so the two strongest risks looked alike; #BF4046 is the same red, darker (views/daltonisme.py).
# This module is the one place of the scale and of the no-data grey: maps, charts and reports import them.
COULEURS_CLASSES = ("#4A6BAE", "#5F8EC7", "#AAC4E6", "#E6DEEE", "#EBB5BD", "#DD7480", "#BF4046")
# Darker than the pale middle classes, from which the former #CECECE was 5.3 CIEDE2000 with deuteranopia.
COULEUR_SANS_DONNEE = "#9E9E9E"

COMPOSANTES = {
    "no_thd_coverage_rate": "Absence de couverture très haut débit",
    "no_4g_coverage_rate": "Absence de couverture 4G",
    "poverty_rate": "Taux de pauvreté",
    "older_65_rate": "Part des 65 ans et plus",
    "nscol15p_rate": "Part des 15 ans et plus peu ou pas diplômés",
}

AVERTISSEMENT_PONDERATION = (
    "L'IFN d'une commune décrit un territoire, pas le nombre de ses habitants : une carte par commune donne autant "
    "de place à un village qu'à une ville. L'IFN d'un ensemble de communes est donc donné ici en moyenne pondérée "
    "par la population ; à lire avec la répartition de la population par classe."
)

METHODE_PRIORITES = (
    "Score de priorité = fragilité × poids démographique × manque d'accès (chaque terme entre 0 et 1, "
    "élevé à la puissance de son poids). Fragilité = IFN / 10. Poids démographique = log(1 + population) / "
    "log(1 + population de la plus grande commune de la liste). Manque d'accès = moyenne de "
    "(1 − accessibilité / accessibilité de référence, borné à 0) et (distance au lieu le plus proche / "
    "distance de référence, borné à 1)."
)


def classe_ifn(score) -> pd.Series:
    """IFN score(s) 0–10 → class 1..7 (nullable Int64; NA when the score is missing).

    Class = ceil(score × 7 / 10) clamped to 1..7, so a score of 0 falls in class 1 and 10/7 is still
    class 1. A tolerance of 1e-9 keeps exact boundaries from tipping into the next class through
    floating-point rounding.
    """
    values = pd.to_numeric(pd.Series(score), errors="coerce").astype("float64")
    raw = np.ceil(values.to_numpy() * NB_CLASSES / 10 - 1e-9)
    classes = pd.Series(np.clip(raw, 1, NB_CLASSES), index=values.index)
    return classes.astype("Int64")


def libelle_classe(classe) -> str:
    """French label of a class (1..7), or "donnée manquante"."""
    return LIBELLES_CLASSES[int(classe) - 1] if _is_class(classe) else "donnée manquante"


def couleur_classe(classe) -> str:
    """Hex colour of a class (1..7), grey when missing."""
    return COULEURS_CLASSES[int(classe) - 1] if _is_class(classe) else COULEUR_SANS_DONNEE


def _is_class(classe) -> bool:
    return classe is not None and not pd.isna(classe) and 1 <= int(classe) <= NB_CLASSES


def par_commune(values, communes: pd.DataFrame, name: str | None = None) -> pd.Series:
    """Align per-commune values on `communes` (result indexed like `communes`).

    `values` is a Series indexed either like `communes` or by commune code (`communes["code"]`);
    communes absent from it get NaN.
    """
    series = pd.Series(values)
    if series.index.equals(communes.index):
        out = series
    else:
        out = pd.Series(communes["code"].map(series).to_numpy(), index=communes.index)
    return out.rename(name if name is not None else series.name)


def _ifn_table(ifn) -> pd.DataFrame:
    """IFN as a frame indexed by unique commune/unit code with `total` (and components when given)."""
    if ifn is None:
        return _ifn_reference()
    if isinstance(ifn, pd.Series):
        table = pd.DataFrame({"total": pd.to_numeric(ifn, errors="coerce")})
    else:
        table = ifn.set_index("code") if "code" in ifn.columns else ifn
        table = table[[c for c in ("total", *COMPOSANTES) if c in table.columns]]
    return table[~table.index.duplicated()]


@lru_cache(maxsize=1)
def _ifn_reference() -> pd.DataFrame:
    table = reference.ifn_communes().set_index("code")[["total", *COMPOSANTES]]
    return table[~table.index.duplicated()]


def ifn_par_commune(communes: pd.DataFrame, ifn=None) -> pd.DataFrame:
    """IFN of each commune with its class, label and colour, indexed like `communes`.

    Parameters
    ----------
    communes : frame with a `code` column (e.g. a subset of ``reference.communes()``).
    ifn : None (the reference IFN), a frame with `code` and `total` (plus optional components),
        or a Series of scores indexed by commune code.

    Returns
    -------
    DataFrame with columns ifn, the five components when known, classe, libelle, couleur.
    """
    table = _ifn_table(ifn)
    joined = table.reindex(communes["code"].astype(str).to_numpy())
    out = pd.DataFrame(joined.to_numpy(dtype="float64"), index=communes.index, columns=joined.columns)
    out = out.rename(columns={"total": "ifn"})
    out["classe"] = classe_ifn(out["ifn"])
    out["libelle"] = _lookup(out["classe"], LIBELLES_CLASSES, "donnée manquante")
    out["couleur"] = _lookup(out["classe"], COULEURS_CLASSES, COULEUR_SANS_DONNEE)
    return out


def _lookup(classes: pd.Series, values: tuple[str, ...], missing: str) -> pd.Series:
    table = np.array([missing, *values], dtype=object)
    return pd.Series(table[classes.fillna(0).astype(int).to_numpy()], index=classes.index, dtype=object)


def ifn_pondere(communes: pd.DataFrame, ifn=None) -> float | None:
    """Population-weighted mean IFN of a set of communes (None when no commune has both).

    Communes without an IFN (or with no inhabitants) are left out of the mean; `resume_fragilite`
    reports how much population that leaves uncovered.
    """
    return _pondere(ifn_par_commune(communes, ifn)["ifn"], communes["population"])


def _pondere(scores: pd.Series, population) -> float | None:
    population = pd.to_numeric(population, errors="coerce")
    known = scores.notna() & population.notna()
    weight = population[known].sum()
    if weight <= 0:
        return None
    return float((scores[known] * population[known]).sum() / weight)


def ifn_par_unite(communes: pd.DataFrame, cle: str, ifn=None) -> pd.DataFrame:
    """Population-weighted IFN of the units grouping `communes` by column `cle` ("epci", "dep", "reg").

    For EPCI, the IFN published for the EPCI itself is added as `ifn_publie`: on the 2026 EPCI it
    matches this population-weighted mean within 0.01 on average (0.25 at most, population vintages
    differ), whereas the plain mean of the communes' IFN is off by 0.25 on average.
    Returns one row per unit code (index), with ifn_pondere, classe, libelle, couleur, population,
    population_sans_ifn, n_communes, n_communes_sans_ifn.
    """
    scores = ifn_par_commune(communes, ifn)["ifn"]
    population = pd.to_numeric(communes["population"], errors="coerce").fillna(0)
    frame = pd.DataFrame({"unite": communes[cle], "ifn": scores, "population": population})
    frame["pop_connue"] = frame["population"].where(frame["ifn"].notna(), 0)
    frame["produit"] = (frame["ifn"] * frame["population"]).fillna(0)
    frame["sans_ifn"] = frame["ifn"].isna()
    grouped = frame.groupby("unite", sort=True, dropna=True)
    out = pd.DataFrame(
        {
            "population": grouped["population"].sum(),
            "population_sans_ifn": grouped["population"].sum() - grouped["pop_connue"].sum(),
            "n_communes": grouped.size(),
            "n_communes_sans_ifn": grouped["sans_ifn"].sum().astype("int64"),
        }
    )
    pop_connue = grouped["pop_connue"].sum()
    out["ifn_pondere"] = (grouped["produit"].sum() / pop_connue).where(pop_connue > 0)
    out["classe"] = classe_ifn(out["ifn_pondere"])
    out["libelle"] = _lookup(out["classe"], LIBELLES_CLASSES, "donnée manquante")
    out["couleur"] = _lookup(out["classe"], COULEURS_CLASSES, COULEUR_SANS_DONNEE)
    if cle == "epci":
        publie = reference.ifn_epci().set_index("code")["total"]
        out["ifn_publie"] = out.index.map(publie).astype("float64")
    out.index.name = cle
    return out


def priorites(
    communes: pd.DataFrame,
    ifn=None,
    accessibilite=None,
    distance_km=None,
    *,
    poids_fragilite: float = 1.0,
    poids_population: float = 1.0,
    poids_acces: float = 1.0,
    distance_ref_km: float = 20.0,
    accessibilite_ref: float | None = None,
    avec_motifs: bool = True,
) -> pd.DataFrame:
    """Rank communes for action: fragile, populated and badly served first.

    Score = F^a × P^b × A^c, each term between 0 and 1, the weights a, b, c (parameters) as exponents
    so a weight of 0 drops a term and a weight of 2 makes it count twice:

    - F, fragility = IFN / 10 (absolute scale: a commune's F does not depend on its neighbours);
    - P, demographic weight = log(1 + population) / log(1 + largest population of the list): the log
      keeps a city from crushing every village while still favouring places where more people live;
    - A, lack of access = mean of (1 − accessibility / reference accessibility, floored at 0) and
      (distance to the nearest place / `distance_ref_km`, capped at 1). The reference accessibility is
      `accessibilite_ref` or, by default, the level reached by the best-served tenth of the listed
      communes (90th percentile). When only one of accessibility or distance is given, A uses it alone.

    A product (not a sum) means a commune must score on all three to rank high: a well-served or
    non-fragile commune is not a priority, however large. Communes without an IFN get no score and
    come last (rang NA).

    Parameters
    ----------
    communes : frame with `code`, `nom`, `population`.
    ifn : see `ifn_par_commune`.
    accessibilite : places per 10,000 inhabitants within reach (E2SFCA), by commune code or like `communes`.
    distance_km : distance to the nearest place, by commune code or like `communes`.
    avec_motifs : False leaves out the `motif` sentences (a caller keeping the first ranks writes them
        for those only: 35,000 sentences cost more than the ranking).

    Returns
    -------
    DataFrame indexed like `communes`, sorted by rank: code, nom, population, ifn, classe, libelle,
    accessibilite, distance_km, fragilite, poids_population, manque_acces, score, rang, motif.
    """
    out = pd.DataFrame(index=communes.index)
    out["code"] = communes["code"].astype(str)
    out["nom"] = communes["nom"].astype(str) if "nom" in communes else ""
    out["population"] = pd.to_numeric(communes["population"], errors="coerce").fillna(0)
    classes = ifn_par_commune(communes, ifn)
    out[["ifn", "classe", "libelle"]] = classes[["ifn", "classe", "libelle"]]
    out["accessibilite"] = (
        par_commune(accessibilite, communes).astype("float64") if accessibilite is not None else np.nan
    )
    out["distance_km"] = par_commune(distance_km, communes).astype("float64") if distance_km is not None else np.nan

    out["fragilite"] = (out["ifn"] / 10).clip(0, 1)
    largest = out["population"].max() if len(out) else 0
    out["poids_population"] = np.log1p(out["population"]) / math.log1p(largest) if largest > 0 else 0.0
    out["manque_acces"] = _manque_acces(out, accessibilite is not None, distance_km is not None,
                                        distance_ref_km, accessibilite_ref)
    out["score"] = (
        out["fragilite"] ** poids_fragilite
        * out["poids_population"] ** poids_population
        * out["manque_acces"] ** poids_acces
    )
    ranked = out.sort_values(["score", "population"], ascending=[False, False], na_position="last")
    rang = pd.array(np.arange(1, len(ranked) + 1), dtype="Int64")
    rang[ranked["score"].isna().to_numpy()] = pd.NA
    ranked["rang"] = rang
    if avec_motifs:
        ranked["motif"] = _motifs(ranked)
    return ranked


def _manque_acces(out, with_access, with_distance, distance_ref_km, accessibilite_ref) -> pd.Series:
    parts = []
    if with_access:
        acc = out["accessibilite"]
        ref = accessibilite_ref if accessibilite_ref is not None else acc[acc > 0].quantile(0.9)
        if ref is None or pd.isna(ref) or ref <= 0:
            # No commune reaches any place: every commune lacks access equally.
            parts.append(pd.Series(1.0, index=out.index))
        else:
            parts.append((1 - acc.fillna(0) / ref).clip(0, 1))
    if with_distance:
        # No reachable place at all (NaN / inf distance) is the worst case.
        dist = out["distance_km"].replace(np.inf, np.nan)
        parts.append((dist / distance_ref_km).clip(0, 1).fillna(1.0))
    if not parts:
        return pd.Series(1.0, index=out.index)
    return sum(parts) / len(parts)


def _fr(values: pd.Series, pattern: str) -> pd.Series:
    """French number formatting of a Series (decimal comma, narrow no-break space for thousands)."""
    text = pd.Series([pattern.format(v) for v in values], index=values.index, dtype=object)
    return text.str.replace(",", "\u202f", regex=False).str.replace(".", ",", regex=False)


def _motifs(ranked: pd.DataFrame) -> pd.Series:
    """One French sentence per commune saying why it ranks where it does (vectorized: 35,000 rows)."""
    habitants = _fr(ranked["population"], "{:,.0f}") + " habitants"
    motif = "IFN " + _fr(ranked["ifn"], "{:.1f}") + "/10 (" + ranked["libelle"].astype(str) + "), " + habitants
    has_dist = ranked["distance_km"].notna()
    motif = motif.where(~has_dist, motif + ", lieu le plus proche à " + _fr(ranked["distance_km"], "{:.1f}") + " km")
    has_acc = ranked["accessibilite"].notna()
    motif = motif.where(
        ~has_acc, motif + ", " + _fr(ranked["accessibilite"], "{:.1f}") + " lieu pour 10 000 habitants à portée"
    )
    motif = motif + "."
    return motif.where(ranked["ifn"].notna(), habitants + " ; IFN inconnu : commune non classée.")


def resume_fragilite(
    communes: pd.DataFrame,
    ifn=None,
    *,
    accessibilite=None,
    distance_km=None,
    n_priorites: int = 10,
    **poids,
) -> dict:
    """JSON-ready summary: weighted IFN, population by class and, when access data are given, the
    top `n_priorites` priority communes (keyword arguments `poids` go to `priorites`)."""
    table = ifn_par_commune(communes, ifn)
    population = pd.to_numeric(communes["population"], errors="coerce").fillna(0)
    total_pop = float(population.sum())
    pondere = _pondere(table["ifn"], population)
    classe = classe_ifn(pd.Series([pondere], dtype="float64")).iloc[0]
    classes = []
    for k in range(1, NB_CLASSES + 1):
        mask = table["classe"] == k
        pop = float(population[mask.fillna(False)].sum())
        classes.append(
            {
                "classe": k,
                "libelle": LIBELLES_CLASSES[k - 1],
                "couleur": COULEURS_CLASSES[k - 1],
                "n_communes": int(mask.fillna(False).sum()),
                "population": int(pop),
                "part_population": _ratio(pop, total_pop),
            }
        )
    sans = table["ifn"].isna()
    resume = {
        "ifn_pondere_population": _round(pondere, 2),
        "classe": None if pd.isna(classe) else int(classe),
        "libelle": libelle_classe(classe),
        "couleur": couleur_classe(classe),
        "ifn_moyen_communes": _round(table["ifn"].mean(), 2),
        "avertissement": AVERTISSEMENT_PONDERATION,
        "population": int(total_pop),
        "classes": classes,
        "communes_sans_ifn": sorted(communes.loc[sans, "code"].astype(str).tolist()),
        "population_sans_ifn": int(population[sans].sum()),
    }
    if accessibilite is not None or distance_km is not None:
        ranked = priorites(communes, ifn, accessibilite, distance_km, avec_motifs=False, **poids)
        top = ranked[ranked["rang"].notna()].head(n_priorites).copy()
        top["motif"] = _motifs(top)
        resume["methode_priorites"] = METHODE_PRIORITES
        resume["priorites"] = [
            {
                "rang": int(r.rang),
                "code": r.code,
                "nom": r.nom,
                "population": int(r.population),
                "ifn": _round(r.ifn, 2),
                "accessibilite": _round(r.accessibilite, 3),
                "distance_km": _round(r.distance_km, 2),
                "fragilite": _round(r.fragilite, 3),
                "poids_population": _round(r.poids_population, 3),
                "manque_acces": _round(r.manque_acces, 3),
                "score": _round(r.score, 4),
                "motif": r.motif,
            }
            for r in top.itertuples()
        ]
    return resume


def _round(value, decimals: int):
    if value is None or pd.isna(value) or not np.isfinite(value):
        return None
    return round(float(value), decimals)


def _ratio(part: float, total: float):
    return round(part / total, 6) if total > 0 else None
