"""Priority territories of the State: France Ruralités Revitalisation (FRR) communes and quartiers
prioritaires (QPV 2024). Counts of places in the zones, and the coverage of the people who live there
measured beside that of the rest of the territory.

FRR is a commune attribute: the zone's figures come from the per-commune vectors the diagnostic already
computed (no second nearest-place search). A QPV is a polygon inside one or more communes: its people
are put at the QPV's inner point (one nearest-place query per QPV), its population is the file's own
(a third-party figure, split between communes by area for the 149 QPV on several communes); the rest
of each commune keeps the commune's distance. A place is "en QPV" by its point, only when the point is
its address (a place put at its commune's inner point is "non situé").
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import zonage
from ..standard.fields import CODE_COMMUNE, POSITION_APPROX
from . import comparaison as cmp
from .distances import coordonnees, distance_plus_proche, projeter_lieux
from .qualite import fraicheur

NON_CLASSEE = "Non classée"
CLASSES_FRR = (
    "FRR socle", "FRR+", "FRR bénéficiaire", "Classée FRR partiellement", "FRR bénéficiaire partiellement", NON_CLASSEE
)
METHODE = (
    "Communes FRR : toutes les communes classées ou bénéficiaires (classement au 10 juillet 2025, tout sauf "
    "« Non classée »), distances du point intérieur de chaque commune. QPV 2024 : habitants placés au point "
    "intérieur de leur quartier (contours simplifiés), population du quartier selon une compilation tierce ; "
    "le reste du territoire garde la distance de sa commune. Un lieu est « en QPV » si son point (adresse "
    "géolocalisée) est dans le contour ; un lieu placé au centre de sa commune n'est pas situé."
)
# Figures of a zone and of the rest of the territory, in this order.
FIGURES = (
    "population", "nb_lieux", "lieux_pour_10000_habitants", "distance_moyenne_km", "distance_mediane_km",
    "part_population_a_moins_de", "zones_blanches_population", "zones_blanches_part_population",
)


def est_frr(classes) -> np.ndarray:
    """Whether each class (as written in frr_communes.parquet, "" when unknown) puts its commune in the FRR
    zone: any value but « Non classée » (a merged commune with mixed classes counts when one part is FRR)."""
    texte = pd.Series(classes, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
    inverse, valeurs = pd.factorize(texte)  # a handful of distinct classes
    zone = np.array([any(p and p != NON_CLASSEE for p in c.split(" | ")) for c in valeurs], dtype=bool)
    return zone[inverse] if len(texte) else np.zeros(0, dtype=bool)


def classement_frr(codes) -> pd.Series:
    """FRR class of each 2026 commune code ("" when the code is not in the file), indexed by code."""
    codes_frr, valeurs = _frr()
    index = codes if isinstance(codes, pd.Index) else pd.Index(list(codes), dtype=object)
    positions = codes_frr.get_indexer(index.astype(object))
    out = np.where(positions >= 0, valeurs[np.maximum(positions, 0)], "")
    return pd.Series(out, index=index, dtype=object, name="classement_frr")


@lru_cache(maxsize=1)
def _frr() -> tuple[pd.Index, np.ndarray]:
    # Python-string index: lookups of a few hundred codes then pay no Arrow conversion.
    table = zonage.frr()
    return pd.Index(table["code"].to_numpy(dtype=object), dtype=object), table["classement_frr"].to_numpy(dtype=object)


@lru_cache(maxsize=1)
def _arbre_qpv() -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
    q = zonage.qpv()
    geoms = np.asarray(q.geometry.array)
    return shapely.STRtree(geoms), q["code_qp"].to_numpy(dtype=object), q["lib_qp"].to_numpy(dtype=object)


def qpv_des_points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Code of the QPV holding each point (WGS84), "" when none or no point (NaN)."""
    arbre, codes, _ = _arbre_qpv()
    out = np.full(len(lon), "", dtype=object)
    presents = np.flatnonzero(~(np.isnan(lon) | np.isnan(lat)))
    if not len(presents):
        return out
    points = shapely.points(lon[presents], lat[presents])
    entree, qpv = arbre.query(points, predicate="within")
    premier = np.unique(entree, return_index=True)[1]  # simplified outlines may overlap: first one wins
    out[presents[entree[premier]]] = codes[qpv[premier]]
    return out


def zonage_lieux(lieux: gpd.GeoDataFrame) -> pd.DataFrame:
    """Zoning of each place, indexed like `lieux`: `en_qpv` (True, False, or NA when the place's point is
    not its address or is missing), `code_qp`, `lib_qp`, `classement_frr` (class of its 2026 commune)
    and `commune_frr` (NA without a commune). Columns stay NA when a zoning file is missing."""
    n = len(lieux)
    out = pd.DataFrame(index=lieux.index)
    try:
        _, codes, libelles = _arbre_qpv()
        lon, lat = coordonnees(lieux) if n else (np.empty(0), np.empty(0))
        situe = ~(np.isnan(lon) | np.isnan(lat)) & ~lieux[POSITION_APPROX].to_numpy(dtype=bool)
        code = qpv_des_points(np.where(situe, lon, np.nan), np.where(situe, lat, np.nan))
        libelle = pd.Series(libelles, index=codes)
        out["en_qpv"] = pd.array(np.where(situe, code != "", False), dtype="boolean")
        out.loc[~situe, "en_qpv"] = pd.NA
        out["code_qp"] = code
        out["lib_qp"] = np.where(code != "", libelle.reindex(code).fillna("").to_numpy(dtype=object), "")
    except zonage.FichierAbsent:
        out["en_qpv"] = pd.array([pd.NA] * n, dtype="boolean")
        out["code_qp"] = ""
        out["lib_qp"] = ""
    communes = lieux[CODE_COMMUNE].astype(str).to_numpy(dtype=object) if n else np.empty(0, dtype=object)
    try:
        classes = classement_frr(pd.Index(communes, dtype=object)).to_numpy(dtype=object)
        out["classement_frr"] = classes
        out["commune_frr"] = pd.array(est_frr(classes), dtype="boolean")
        out.loc[classes == "", "commune_frr"] = pd.NA
    except zonage.FichierAbsent:
        out["classement_frr"] = ""
        out["commune_frr"] = pd.array([pd.NA] * n, dtype="boolean")
    return out


def zonage_communes(codes) -> pd.DataFrame:
    """Per commune code: classement_frr, commune_frr, nb_qpv and population_qpv (QPV inhabitants of the
    commune, area-split for QPV on several communes; NA when a QPV of the commune has no figure)."""
    index = codes if isinstance(codes, pd.Index) else pd.Index(list(codes), dtype=object, name="code")
    out = pd.DataFrame(index=index)
    try:
        classes = classement_frr(index)
        out["classement_frr"] = classes.to_numpy(dtype=object)
        out["commune_frr"] = est_frr(classes.to_numpy(dtype=object))
    except zonage.FichierAbsent:
        out["classement_frr"], out["commune_frr"] = "", pd.NA
    try:
        paires = _paires()
        paires = paires[index.get_indexer(paires["code_commune"]) >= 0]
        groupes = paires.assign(inconnue=paires["population_part"].isna()).groupby("code_commune")
        out["nb_qpv"] = groupes.size().reindex(index, fill_value=0).astype("int64").to_numpy()
        pop = groupes["population_part"].sum().round().where(~groupes["inconnue"].any())
        pop = pop.reindex(index).to_numpy(dtype=float)
        out["population_qpv"] = pd.array(np.where(out["nb_qpv"].to_numpy() > 0, pop, 0), dtype="Float64").round().astype("Int64")
    except zonage.FichierAbsent:
        out["nb_qpv"], out["population_qpv"] = pd.NA, pd.NA
    return out


@lru_cache(maxsize=1)
def _paires() -> pd.DataFrame:
    """QPV × commune pairs with the pair's population (QPV population × area share; NaN if unknown)."""
    brut = zonage.qpv_communes()
    q = zonage.qpv().set_index("code_qp")
    pop = q["population"].astype("Float64").astype(float).reindex(brut["code_qp"]).to_numpy()
    return pd.DataFrame(
        {
            "code_qp": brut["code_qp"].to_numpy(dtype=object),
            "code_commune": brut["code_commune"].to_numpy(dtype=object),
            "part_surface": brut["part_surface"].to_numpy(dtype=float),
            "population_part": pop * brut["part_surface"].to_numpy(dtype=float),
        }
    )


@lru_cache(maxsize=1)
def _qpv_table() -> pd.DataFrame:
    """code_qp (index), lib_qp and population (float, NaN unknown) with Python strings."""
    q = zonage.qpv()
    return pd.DataFrame(
        {"lib_qp": q["lib_qp"].to_numpy(dtype=object), "population": q["population"].astype("Float64").astype(float).to_numpy()},
        index=pd.Index(q["code_qp"].to_numpy(dtype=object), name="code_qp"),
    )


@lru_cache(maxsize=1)
def _qpv_projetes() -> pd.DataFrame:
    """QPV inner points projected like places (x, y, zone_proj), indexed by code_qp."""
    q = zonage.qpv()
    points = gpd.GeoDataFrame(index=q["code_qp"], geometry=gpd.points_from_xy(q["pos_lon"], q["pos_lat"]), crs=4326)
    return projeter_lieux(points)


def resume_priorites(
    vecteurs: pd.DataFrame,
    lieux: gpd.GeoDataFrame,
    dans: np.ndarray,
    *,
    lieux_xy: pd.DataFrame | None = None,
    rayon_km: float = cmp.RAYON_KM,
    seuils_km: Sequence[float] = cmp.SEUILS_KM,
) -> dict:
    """The `territoires_prioritaires` block of the diagnostic.

    Parameters
    ----------
    vecteurs : per-commune vectors of the territory (`comparaison.vecteurs_communes`).
    lieux, dans : the places frame given to the diagnostic and which of them are in the territory.
    lieux_xy : `projeter_lieux(lieux)` when already computed.
    """
    xy = projeter_lieux(lieux) if lieux_xy is None else lieux_xy
    zl = zonage_lieux(lieux[dans])
    out = {"methode": METHODE}
    try:
        out["frr"] = _bloc_frr(vecteurs, zl, rayon_km, seuils_km)
    except zonage.FichierAbsent as exc:
        out["frr"] = {"fichier_manquant": exc.fichier, "message": str(exc)}
    try:
        out["qpv"] = _bloc_qpv(vecteurs, zl, xy, rayon_km, seuils_km)
    except zonage.FichierAbsent as exc:
        out["qpv"] = {"fichier_manquant": exc.fichier, "message": str(exc)}
    return out


def _figures(table: pd.DataFrame, cle: str, seuils_km) -> dict:
    if cle in table.index:
        valeurs = cmp.figures_json(table.loc[cle], seuils_km)
    else:  # an empty side: nobody lives there, nothing to measure
        valeurs = {"population": 0, "nb_communes": 0, "nb_lieux": 0,
                   "part_population_a_moins_de": {cmp.cle_seuil(s): None for s in seuils_km}}
    return {nom: valeurs.get(nom, 0 if nom in ("zones_blanches_population",) else None) for nom in ("nb_communes", *FIGURES)}


def _bloc_frr(vecteurs, zl, rayon_km, seuils_km) -> dict:
    classes = classement_frr(vecteurs.index)
    zone = est_frr(classes.to_numpy(dtype=object))
    cle = pd.Series(np.where(zone, "zone", "hors_zone"), index=vecteurs.index)
    table = cmp.indicateurs_par_unite(vecteurs, cle, rayon_km=rayon_km, seuils_km=seuils_km)
    dedans, dehors = _figures(table, "zone", seuils_km), _figures(table, "hors_zone", seuils_km)
    pop = vecteurs["population"].to_numpy(dtype="int64")
    nb = vecteurs["nb_lieux"].to_numpy(dtype="int64")
    par_classe = pd.DataFrame({"c": classes.to_numpy(dtype=object), "pop": pop, "nb": nb, "n": 1}).groupby("c").sum()
    ordre = [c for c in CLASSES_FRR if c in par_classe.index] + sorted(set(par_classe.index) - set(CLASSES_FRR))
    return {
        "source": zonage.source("frr"),
        **{k: dedans[k] for k in ("nb_communes", *FIGURES)},
        "par_classement": [
            {"classement": c or "commune absente du fichier", "nb_communes": int(par_classe.at[c, "n"]),
             "population": int(par_classe.at[c, "pop"]), "nb_lieux": int(par_classe.at[c, "nb"])}
            for c in ordre
        ],
        "hors_zone": dehors,
        "ecart": ecart("les communes FRR", dedans, dehors, seuils_km),
        "message": None if dedans["nb_communes"] else "Aucune commune classée France Ruralités Revitalisation "
        "(classement au 10 juillet 2025) dans ce territoire.",
    }


def _bloc_qpv(vecteurs, zl, lieux_xy, rayon_km, seuils_km) -> dict:
    paires = _paires()
    paires = paires[pd.Index(vecteurs.index, dtype=object).get_indexer(paires["code_commune"]) >= 0]
    qpv = _qpv_table()
    codes = pd.unique(paires["code_qp"])
    population_totale = int(vecteurs["population"].sum())
    en_qpv = zl["en_qpv"]
    nb_dans = int(en_qpv.eq(True).sum())
    nb_hors = int(en_qpv.eq(False).sum())
    non_situes = int(en_qpv.isna().sum())
    source = {**zonage.source("qpv"), "population": zonage.source("population_qpv")}
    if not len(codes):
        return {
            "source": source, "nb_quartiers": 0, "population": 0, "nb_lieux": nb_dans,
            "message": "Aucun quartier prioritaire de la politique de la ville (QPV 2024) dans ce territoire.",
            "quartiers": [], "nb_quartiers_sans_population": 0, "nb_lieux_non_situes": non_situes,
            "hors_zone": None, "ecart": None,
        }
    d_qpv = distance_plus_proche(_qpv_projetes().loc[codes], lieux_xy)
    pop_paire = paires["population_part"].to_numpy(dtype=float)
    connue = ~np.isnan(pop_paire)
    # The rest of each commune: its inhabitants minus those of its QPV (a third-party figure may exceed
    # the commune's own after an area split: never below zero).
    dans_qpv = pd.Series(np.where(connue, pop_paire, 0.0)).groupby(paires["code_commune"].to_numpy()).sum()
    reste = np.maximum(vecteurs["population"].to_numpy(dtype=float) - dans_qpv.reindex(vecteurs.index, fill_value=0).to_numpy(), 0)
    lignes = pd.DataFrame(
        {
            "population": np.concatenate([np.where(connue, pop_paire, 0.0), reste]),
            "nb_lieux": 0,
            "distance_km": np.concatenate([d_qpv.reindex(paires["code_qp"]).to_numpy(), vecteurs["distance_km"].to_numpy()]),
            "acces_10000": np.nan,
        },
        index=pd.RangeIndex(len(paires) + len(vecteurs)),
    )
    cle = pd.Series(["zone"] * len(paires) + ["hors_zone"] * len(vecteurs), index=lignes.index)
    table = cmp.indicateurs_par_unite(lignes, cle, rayon_km=rayon_km, seuils_km=seuils_km)
    dedans, dehors = _figures(table, "zone", seuils_km), _figures(table, "hors_zone", seuils_km)
    pop_zone = int(round(float(np.where(connue, pop_paire, 0.0).sum())))
    dedans["population"], dehors["population"] = pop_zone, population_totale - pop_zone
    dedans["nb_lieux"], dehors["nb_lieux"] = nb_dans, nb_hors
    dedans["lieux_pour_10000_habitants"] = _pour_10000(nb_dans, pop_zone)
    dehors["lieux_pour_10000_habitants"] = _pour_10000(nb_hors, population_totale - pop_zone)
    dehors.pop("nb_communes")
    par_qpv = zl.loc[_vrai(zl["en_qpv"]), "code_qp"].value_counts()
    quartiers = qpv.reindex(codes).reset_index()
    sans_pop = int(quartiers["population"].isna().sum())
    quartiers["population"] = quartiers["population"].astype("Int64")
    quartiers["nb_lieux"] = par_qpv.reindex(codes, fill_value=0).to_numpy(dtype="int64")
    d = d_qpv.reindex(codes).to_numpy(dtype=float)
    quartiers["distance_km"] = np.where(np.isfinite(d), np.round(d, 4), np.nan)
    quartiers = quartiers.assign(_p=quartiers["population"].fillna(0)).sort_values(["_p", "code_qp"], ascending=[False, True])
    message = None
    if sans_pop:
        message = (f"{sans_pop} QPV sans population dans la compilation utilisée : leurs habitants comptent dans "
                   "le reste du territoire, leurs chiffres ne sont pas estimés.")
    return {
        "source": source,
        "nb_quartiers": len(codes),
        **{k: dedans[k] for k in FIGURES},
        "nb_quartiers_sans_population": sans_pop,
        "nb_lieux_non_situes": non_situes,
        "quartiers": quartiers.drop(columns="_p").astype(object).where(quartiers.drop(columns="_p").notna(), None).to_dict(orient="records"),
        "hors_zone": dehors,
        "ecart": ecart("les QPV", dedans, dehors, seuils_km),
        "message": message,
    }


def _pour_10000(n: int, population: int):
    return round(n * 10_000 / population, 4) if population > 0 else None


def _pct(part) -> str:
    return f"{part * 100:.0f} %".replace(".", ",")


def _km(valeur) -> str:
    # Under 100 m a rounded "0,0 km" says nothing: the figure is measured from a commune's inner point.
    if valeur < 0.1:
        return "moins de 100 m"
    return f"{valeur:.1f} km".replace(".", ",")


def ecart(nom_zone: str, zone: dict, reste: dict, seuils_km: Sequence[float] = cmp.SEUILS_KM) -> str | None:
    """One French sentence on the zone's coverage against the rest of the territory (None when a side is
    empty): share of inhabitants within 10 km (or the first threshold) and median distance."""
    seuil = "10" if "10" in (zone.get("part_population_a_moins_de") or {}) else cmp.cle_seuil(seuils_km[0])
    a = (zone.get("part_population_a_moins_de") or {}).get(seuil)
    b = (reste.get("part_population_a_moins_de") or {}).get(seuil)
    if a is None or b is None or not zone.get("population") or not reste.get("population"):
        return None
    points = round((a - b) * 100)
    sens = "autant que" if points == 0 else (f"{abs(points)} points de plus que" if points > 0 else f"{abs(points)} points de moins que")
    phrase = (f"Dans {nom_zone}, {_pct(a)} des habitants vivent à {seuil} km au plus d'un lieu, {sens} dans le "
              f"reste du territoire ({_pct(b)})")
    dz, dr = zone.get("distance_mediane_km"), reste.get("distance_mediane_km")
    if dz is not None and dr is not None:
        phrase += f" ; distance médiane {_km(dz)} contre {_km(dr)}"
    return phrase + "."


# Filters of places by priority territory: key → French label.
FILTRES = {
    "tous": "Tous les lieux",
    "prioritaire": "En territoire prioritaire (QPV ou commune FRR)",
    "qpv": "En QPV",
    "frr": "En commune FRR",
    "hors": "Hors territoires prioritaires",
}


def filtre_prioritaire(lieux: gpd.GeoDataFrame, choix: str, zl: pd.DataFrame | None = None) -> np.ndarray:
    """Mask of the places matching a key of FILTRES. A place whose QPV status is unknown (position not
    its address) is in a QPV for no filter; "hors" keeps only places known to be in neither zone."""
    if choix not in FILTRES:
        raise ValueError(f"Filtre inconnu « {choix} » : choisissez parmi {', '.join(FILTRES)}.")
    if choix == "tous":
        return np.ones(len(lieux), dtype=bool)
    zl = zonage_lieux(lieux) if zl is None else zl
    qpv, frr = _vrai(zl["en_qpv"]), _vrai(zl["commune_frr"])
    if choix == "qpv":
        return qpv
    if choix == "frr":
        return frr
    if choix == "prioritaire":
        return qpv | frr
    return _vrai(zl["en_qpv"].eq(False)) & _vrai(zl["commune_frr"].eq(False))


def _vrai(valeurs: pd.Series) -> np.ndarray:
    """True where a nullable boolean is True (NA counts as not True)."""
    return valeurs.astype("boolean").fillna(False).to_numpy(dtype=bool)


def qpv_du_territoire(codes) -> gpd.GeoDataFrame:
    """QPV with at least one commune among `codes`: code_qp, lib_qp, population (nullable), geometry."""
    paires = _paires()
    index = codes if isinstance(codes, pd.Index) else pd.Index(list(codes), dtype=object)
    choisis = pd.unique(paires.loc[index.get_indexer(paires["code_commune"]) >= 0, "code_qp"])
    q = zonage.qpv()
    return q[q["code_qp"].isin(choisis)][["code_qp", "lib_qp", "population", "geometry"]].reset_index(drop=True)


def qualite_par_zone(lieux: gpd.GeoDataFrame, reference=None) -> pd.DataFrame:
    """Data quality of the places by priority zone (rows: En QPV, QPV inconnu, En commune FRR, Hors
    territoires prioritaires): places, share « à jour », share with opening hours, places whose position
    is their commune's centre (so their QPV status is unknown)."""
    zl = zonage_lieux(lieux)
    classes = fraicheur(lieux, reference).to_numpy(dtype=object)
    horaires = lieux["horaires"].fillna("").astype(str).str.strip().ne("").to_numpy(dtype=bool)
    approx = lieux[POSITION_APPROX].to_numpy(dtype=bool)
    masques = {
        "En QPV (2024)": _vrai(zl["en_qpv"]),
        "Position au centre de la commune (QPV inconnu)": zl["en_qpv"].isna().to_numpy(dtype=bool),
        "En commune FRR (2025)": _vrai(zl["commune_frr"]),
        "Hors territoires prioritaires": filtre_prioritaire(lieux, "hors", zl),
    }
    lignes = []
    for zone, m in masques.items():
        n = int(m.sum())
        lignes.append({
            "Zone": zone, "Lieux": n,
            "Part à jour": round(float((classes[m] == "à jour").mean()), 4) if n else None,
            "Part avec horaires": round(float(horaires[m].mean()), 4) if n else None,
            "Position approximative": int((approx & m).sum()),
        })
    return pd.DataFrame(lignes)
