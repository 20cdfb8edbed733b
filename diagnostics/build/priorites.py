"""Priority territories (France Ruralités Revitalisation communes, quartiers prioritaires 2024) and human
means (conseillers numériques 2023, Aidants Connect structures' activity 2024) → compact files in `data/`,
with their section of `data/PROVENANCE.md`.

Every commune code is mapped to 2026 through the passage table; nothing is dropped silently: what cannot
be attached is counted in the provenance section.
"""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..communes import code_from_postcode_and_name

FRR_FILE = "frr_communes.parquet"
QPV_FILE = "qpv.parquet"
QPV_COMMUNES_FILE = "qpv_communes.parquet"
CNUM_FILE = "conseillers_numeriques.parquet"
AIDANTS_FILE = "aidants_connect_activite.parquet"
DEBUT, FIN = "<!-- priorites:debut -->", "<!-- priorites:fin -->"

FRR_RAW = "extra/priorites/liste-communes-FRR-juillet2025.csv"
QPV_RAW = "extra/priorites/qpv2024_simplified.geojson"
QPV_POP_RAW = "extra/priorites/analyse_qpv.csv"
CNUM_RAW = "extra/conseillers_numeriques_structures_2023_portrea.json"
AIDANTS_RAW = "places/inclusion-numerique/38263aa/aidants-connect_structures.csv"

FRR_COLONNE = "Classement FRR et FRR+ au 10 juillet 2025"
# Aidants Connect export column → our column (démarches by theme as the export names them).
AIDANTS_COLONNES = {
    "Nombre d'aidants": "nb_aidants",
    "Question 110 → Nombre D'usagers Uniques": "usagers_uniques",
    "Question 109 → Nombre De Demarche Par Structure": "demarches",
    "Question 99 → Nombre Demarche Argent": "demarches_argent",
    "Question 107 → Nombre Demarche Etranger": "demarches_etranger",
    "Question 103 → Nombre Demarche Famille": "demarches_famille",
    "Question 106 → Nombre Demarche Justice": "demarches_justice",
    "Question 108 → Nombre Demarche Loisirs": "demarches_loisirs",
    "Question 102 → Nombre Demarche Papier": "demarches_papiers",
    "Question 104 → Nombre Demarche Social": "demarches_social",
    "Question 105 → Nombre Demarche Transport": "demarches_transport",
    "Question 113 → Nombre Demarche Travail": "demarches_travail",
    "Question 114 → Nombre Demarche Logement": "demarches_logement",
}
CNUM_COLONNES = {
    "Nb de conseillers attribués": "attribues",
    "Nb de conseillers recrutés": "recrutes",
    "Nb de conseillers formés": "formes",
    "Nb de conseillers en formation": "en_formation",
}


def _preferred(passage: pd.DataFrame) -> pd.Series:
    return passage[passage["prefere"]].drop_duplicates("code_source").set_index("code_source")["code_2026"]


def _pad(codes: pd.Series) -> pd.Series:
    """INSEE codes whose leading zero was lost (1053 → 01053); Corsican codes stay as written."""
    texte = codes.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return texte.where(texte.str.len() != 4, "0" + texte)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_parquet(path, compression="zstd", index=False)


def build(shared: Path, data: Path) -> dict[str, int]:
    """Write the five files and the provenance section; return the counts printed by `make data`."""
    raw = shared / "data"
    passage = pd.read_parquet(data / "communes_passage.parquet")
    communes = gpd.read_parquet(data / "communes.parquet")
    stats: dict = {}
    frr = _build_frr(raw / FRR_RAW, passage, set(communes["code"]), stats)
    _write(frr, data / FRR_FILE)
    qpv, pairs = _build_qpv(raw / QPV_RAW, raw / QPV_POP_RAW, passage, communes, stats)
    qpv.to_parquet(data / QPV_FILE, compression="zstd", index=False)
    _write(pairs, data / QPV_COMMUNES_FILE)
    cnum = _build_cnum(raw / CNUM_RAW, passage, stats)
    _write(cnum, data / CNUM_FILE)
    aidants = _build_aidants(raw / AIDANTS_RAW, passage, stats)
    _write(aidants, data / AIDANTS_FILE)
    _write_provenance(data / "PROVENANCE.md", _section(stats))
    return {"frr_communes": len(frr), "qpv": len(qpv), "qpv_communes": len(pairs),
            "conseillers_numeriques": len(cnum), "aidants_connect_activite": len(aidants)}


def _build_frr(path: Path, passage: pd.DataFrame, codes_2026: set, stats: dict) -> pd.DataFrame:
    """One row per 2026 commune: its FRR class (the six official values kept apart)."""
    table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")
    table = table[["Code_insee", FRR_COLONNE]].rename(columns={"Code_insee": "code_source", FRR_COLONNE: "classement"})
    table["code"] = table["code_source"].map(_preferred(passage))
    stats["frr_lignes"] = len(table)
    stats["frr_classes"] = table["classement"].value_counts().to_dict()
    stats["frr_sans_code_2026"] = int(table["code"].isna().sum())
    table = table[table["code"].isin(codes_2026)]
    # A 2026 commune made of several 2025 communes with different classes keeps them all, sorted, joined
    # by " | ": the class of a merged commune is not ours to decide.
    grouped = table.groupby("code")
    out = grouped["classement"].agg(lambda s: " | ".join(sorted(set(s)))).rename("classement_frr").reset_index()
    out["nb_codes_sources"] = grouped.size().to_numpy()
    stats["frr_classes_mixtes"] = int(out["classement_frr"].str.contains(" | ", regex=False).sum())
    stats["frr_communes_2026"] = len(out)
    stats["frr_communes_2026_absentes"] = len(codes_2026 - set(out["code"]))
    return out.sort_values("code").reset_index(drop=True)


def _build_qpv(path: Path, pop_path: Path, passage: pd.DataFrame, communes: gpd.GeoDataFrame, stats: dict):
    """QPV outlines (repaired, WGS84) with an inner point and the third-party population, and the
    QPV × 2026 commune pairs with each commune's share of the QPV's area (used to split its population)."""
    qpv = gpd.read_file(path)
    stats["qpv_lignes"] = len(qpv)
    stats["qpv_invalides"] = int((~qpv.is_valid).sum())
    geom = shapely.make_valid(np.asarray(qpv.geometry.array))
    # make_valid may return a collection with stray lines: keep the polygonal part only.
    geom = np.array([_polygonal(g) for g in geom], dtype=object)
    inner = shapely.point_on_surface(geom)
    pop = pd.read_csv(pop_path, dtype=str, keep_default_na=False)
    pop_qpv = pd.to_numeric(pop.drop_duplicates("codeQPV").set_index("codeQPV")["popMuniQPV"], errors="coerce")
    stats["qpv_pop_lignes"] = len(pop)
    stats["qpv_pop_quartiers"] = int(pop["codeQPV"].nunique())
    stats["qpv_pop_hors_geojson"] = int((~pop_qpv.index.isin(qpv["code_qp"])).sum())
    preferred = _preferred(passage)
    listes = qpv["insee_com"].fillna("").str.split(",")
    out = gpd.GeoDataFrame(
        {
            "code_qp": qpv["code_qp"].astype(str),
            "lib_qp": qpv["lib_qp"].astype(str),
            "dep": qpv["insee_dep"].astype(str),
            "communes_2024": listes.map(lambda codes: "|".join(c.strip() for c in codes if c.strip())),
            "population": qpv["code_qp"].map(pop_qpv).astype("Int64"),
            "pos_lon": shapely.get_x(inner).round(5),
            "pos_lat": shapely.get_y(inner).round(5),
        },
        geometry=gpd.GeoSeries(geom, crs=4326),
    )
    stats["qpv_sans_population"] = int(out["population"].isna().sum())
    stats["qpv_multi_communes"] = int((listes.map(len) > 1).sum())

    pairs = out[["code_qp", "communes_2024"]].assign(code_source=out["communes_2024"].str.split("|")).explode("code_source")
    pairs["code_commune"] = pairs["code_source"].map(preferred)
    # Codes of overseas collectivities (Saint-Martin, Polynésie) resolve but have no reference commune.
    pairs.loc[~pairs["code_commune"].isin(set(communes["code"])), "code_commune"] = np.nan
    stats["qpv_hors_reference"] = int(pairs.groupby("code_qp")["code_commune"].apply(lambda s: s.isna().all()).sum())
    pairs = pairs.dropna(subset=["code_commune"]).drop_duplicates(["code_qp", "code_commune"])
    pairs["part_surface"] = _area_shares(pairs, out, communes)
    pairs = pairs[["code_qp", "code_commune", "part_surface"]].sort_values(["code_qp", "code_commune"])
    stats["qpv_paires"] = len(pairs)
    return out.sort_values("code_qp").reset_index(drop=True), pairs.reset_index(drop=True)


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _area_shares(pairs: pd.DataFrame, qpv: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each QPV's area in each of its listed communes (sums to 1 per QPV).

    Measured on the simplified outlines in Lambert-93 (or a world equal-area projection overseas: only
    ratios matter); a QPV whose listed communes its outline does not touch is split equally.
    """
    shapes_q = qpv.set_index("code_qp").geometry.to_crs(6933)
    shapes_c = communes.set_index("code").geometry.to_crs(6933)
    q = np.asarray(shapes_q.reindex(pairs["code_qp"]).array)
    c = np.asarray(shapes_c.reindex(pairs["code_commune"]).array)
    ok = ~(shapely.is_missing(q) | shapely.is_missing(c))
    area = np.zeros(len(pairs))
    area[ok] = shapely.area(shapely.intersection(shapely.make_valid(q[ok]), shapely.make_valid(c[ok])))
    frame = pd.DataFrame({"qp": pairs["code_qp"].to_numpy(), "a": area, "n": 1.0})
    totals = frame.groupby("qp")[["a", "n"]].transform("sum")
    shares = np.where(totals["a"] > 0, frame["a"] / totals["a"].where(totals["a"] > 0, 1), frame["n"] / totals["n"])
    return np.round(shares, 6)


def _build_cnum(path: Path, passage: pd.DataFrame, stats: dict) -> pd.DataFrame:
    """One row per host structure of conseillers numériques (2023): SIRET, 2026 commune, counts, flags."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    table = pd.DataFrame.from_dict(raw, orient="index")
    out = pd.DataFrame(
        {
            "structure": table.index.astype(str),
            "siret": table["Siret"].astype(str),
            "code_insee": _pad(table["Code commune Insee"]),
            "code_postal": _pad(table["Code postal"]),
        }
    )
    for source, colonne in CNUM_COLONNES.items():
        out[colonne] = pd.to_numeric(table[source], errors="coerce").fillna(0).astype("int64").to_numpy()
    out["postes_en_qpv"] = table["Postes attribués en QPV"].astype(str).to_numpy()
    out["zrr"] = table["ZRR"].astype(str).to_numpy()
    out["code_commune_2026"] = out["code_insee"].map(_preferred(passage)).fillna("")
    stats["cnum_structures"] = len(out)
    stats["cnum_sans_commune"] = int((out["code_commune_2026"] == "").sum())
    stats["cnum_totaux"] = {c: int(out[c].sum()) for c in CNUM_COLONNES.values()}
    stats["cnum_postes_qpv"] = out["postes_en_qpv"].value_counts().to_dict()
    return out.sort_values(["code_commune_2026", "structure"]).reset_index(drop=True)


def _build_aidants(path: Path, passage: pd.DataFrame, stats: dict) -> pd.DataFrame:
    """One row per Aidants Connect structure (export of 2024-02-22): 2026 commune, active flag, aidants,
    unique users and démarches by theme (empty cells are 0: the export leaves a theme blank when none)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    out = pd.DataFrame(
        {
            "id": table["ID"].astype(str),
            "nom": table["Name"].str.strip(),
            "actif": table["Is Active"].str.strip().str.lower().eq("true"),
            "code_insee": table["City Insee Code"].str.strip(),
        }
    )
    for source, colonne in AIDANTS_COLONNES.items():
        out[colonne] = pd.to_numeric(table[source], errors="coerce").fillna(0).astype("int64")
    code = out["code_insee"].map(_preferred(passage))
    manque = code.isna()
    # No INSEE code in the export: the postcode and city name, when they name exactly one commune.
    code[manque] = [
        code_from_postcode_and_name(cp, ville) for cp, ville in zip(table["Zip Code"][manque], table["City"][manque])
    ]
    out["code_commune_2026"] = code.fillna("").astype(str)
    stats["aidants_structures"] = len(out)
    stats["aidants_actives"] = int(out["actif"].sum())
    stats["aidants_sans_insee"] = int((out["code_insee"] == "").sum())
    stats["aidants_sans_commune"] = int((out["code_commune_2026"] == "").sum())
    actives = out[out["actif"]]
    stats["aidants_totaux"] = {c: int(actives[c].sum()) for c in ("nb_aidants", "usagers_uniques", "demarches")}
    stats["aidants_inactifs_aidants"] = int(out.loc[~out["actif"], "nb_aidants"].sum())
    out["_ordre"] = pd.to_numeric(out["id"], errors="coerce")
    return out.sort_values(["code_commune_2026", "_ordre"]).drop(columns="_ordre").reset_index(drop=True)


def _n(v) -> str:
    return f"{int(v):,}".replace(",", "\u202f")


def _section(s: dict) -> str:
    classes = " ; ".join(f"{k} {_n(v)}" for k, v in sorted(s["frr_classes"].items(), key=lambda kv: -kv[1]))
    cnum = s["cnum_totaux"]
    ac = s["aidants_totaux"]
    postes = " ; ".join(f"« {k} » {_n(v)}" for k, v in s["cnum_postes_qpv"].items())
    return f"""## Territoires prioritaires et moyens humains

Reconstruits par `make data` (`diagnostics/build/priorites.py`) à partir des fichiers de `../shared/data` (voir
leurs PROVENANCE.md : `extra/priorites/` et `extra/`). Ce sont des fichiers publics **datés**, pas des données en
direct ; l'année de chacun est rappelée partout où un chiffre l'utilise.

| fichier | contenu | lignes | source (`../shared/data/`) | date | licence indiquée |
|---|---|---|---|---|---|
| `{FRR_FILE}` | par commune 2026 : `classement_frr` (les six valeurs officielles gardées distinctes), `nb_codes_sources` | {_n(s["frr_communes_2026"])} | `{FRR_RAW}` (dépôt `incubateur-ademe/benefriches` @ 23f401f, classement DGCL) | classement au 10 juillet 2025 | aucune pour le fichier (code MIT ; Licence Ouverte probable, non vérifiée) |
| `{QPV_FILE}` | GeoParquet WGS84 : `code_qp`, `lib_qp`, `dep`, `communes_2024`, `population`, point intérieur `pos_lon`/`pos_lat`, contour **simplifié, approximatif** | {_n(s["qpv_lignes"])} | `{QPV_RAW}` (dépôt `RemiG1984/MaFrance` @ 36dbf17, couche ANCT QP2024) | géographie 2024 (décret du 28 décembre 2023) | aucune (code MIT ; Licence Ouverte probable, non vérifiée) |
| `{QPV_COMMUNES_FILE}` | paires QPV × commune 2026, `part_surface` (part de la surface du QPV dans la commune) | {_n(s.get("qpv_paires", 0))} | idem | 2024 | idem |
| `{CNUM_FILE}` | par structure d'accueil : SIRET, commune 2026, conseillers numériques `attribues`, `recrutes`, `formes`, `en_formation`, `postes_en_qpv`, `zrr` | {_n(s["cnum_structures"])} | `{CNUM_RAW}` (dépôt `Assembleurs/portrea` @ 6b60036) | 2023 (2023-09-13) | aucune (données ouvertes ANCT « Conseiller numérique ») |
| `{AIDANTS_FILE}` | par structure Aidants Connect : commune 2026, `actif`, `nb_aidants` (aidants habilités), `usagers_uniques`, `demarches` et démarches par thème | {_n(s["aidants_structures"])} | `{AIDANTS_RAW}` (dépôt `inclusion-numerique/inclusion-numerique` @ 38263aa) | export du 2024-02-22 | code AGPL-3.0 ; export public d'Aidants Connect |

Contrôles et limites :
- FRR : {_n(s["frr_lignes"])} lignes lues ({classes}) ; codes de communes d'environ 2025 convertis en codes 2026 par
  la table de passage : {_n(s["frr_sans_code_2026"])} sans code 2026, {_n(s["frr_classes_mixtes"])} commune(s) 2026
  réunissant des classements différents (gardés tous, séparés par « | »), {_n(s["frr_communes_2026_absentes"])}
  commune(s) 2026 absente(s) du fichier. La zone « FRR » du diagnostic réunit toutes les communes classées ou
  bénéficiaires (tout sauf « Non classée ») ; le détail par classement est toujours donné.
- QPV : {_n(s["qpv_lignes"])} quartiers, {_n(s["qpv_invalides"])} contours invalides réparés (`make_valid`),
  {_n(s["qpv_multi_communes"])} sur plusieurs communes, {_n(s["qpv_hors_reference"])} hors de notre géographie
  (collectivités d'outre-mer : Saint-Martin, Polynésie française), gardés mais dans aucun territoire. Les contours
  sont simplifiés (coordonnées arrondies à environ 1 m) : « lieu en QPV » est une estimation près des limites, jamais
  le périmètre légal. Un lieu placé au centre de sa commune (position approximative) n'est pas situé.
- Population des QPV : **compilation tierce** (`{QPV_POP_RAW}`, dépôt `RemiG1984/MaFrance`, population municipale
  `popMuniQPV`, année non indiquée, non officielle) : {_n(s["qpv_pop_quartiers"])} quartiers sur {_n(s["qpv_lignes"])}
  ; {_n(s["qpv_sans_population"])} QPV sans chiffre (dits tels quels, jamais estimés). Le chiffre est celui du
  quartier entier ; pour un QPV sur plusieurs communes, il est réparti entre elles selon `part_surface`
  (approximation).
- Conseillers numériques : {_n(s["cnum_structures"])} structures, {_n(cnum["attribues"])} postes attribués,
  {_n(cnum["recrutes"])} recrutés, {_n(cnum["formes"])} formés ; codes INSEE ayant perdu leur zéro complétés ;
  {_n(s["cnum_sans_commune"])} structure(s) sans commune 2026. Les effectifs sont comptés dans la commune de la
  structure qui les emploie, pas là où ils interviennent. Postes en QPV : {postes}.
- Aidants Connect : {_n(s["aidants_structures"])} structures dont {_n(s["aidants_actives"])} actives ; seules les
  actives comptent ({_n(ac["nb_aidants"])} aidants habilités, {_n(ac["usagers_uniques"])} usagers uniques,
  {_n(ac["demarches"])} démarches ; les inactives portent {_n(s["aidants_inactifs_aidants"])} aidants) ;
  {_n(s["aidants_sans_insee"])} sans code INSEE, retrouvées par code postal et nom quand c'est sans ambiguïté ;
  {_n(s["aidants_sans_commune"])} sans commune. Une case vide de l'export compte pour 0.
"""


def _write_provenance(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if DEBUT not in text or FIN not in text:
        text = text.rstrip("\n") + f"\n\n{DEBUT}\n{FIN}\n"
    head, rest = text.split(DEBUT, 1)
    _, tail = rest.split(FIN, 1)
    path.write_text(f"{head}{DEBUT}\n{section}{FIN}{tail}", encoding="utf-8")
