"""The one-call diagnostic of a territory, as a plain JSON-serializable dict, and the per-child-unit
table behind `diagnostic indicateurs --format csv`.

Keys of `diagnostic(...)` (numbers are plain int/float, missing or undefined values are null):

- `territoire`: {id, nom, niveau, code, population, libelle} of the territory.
- `source`: the places' source {nom, libelle, date, repli, message}.
- `parametres`: {rayon_km (white zones and new sites), seuils_km, rayon_accessibilite_km,
  decroissance (French description), poids_offre ("1 par lieu" or what weighted the supply)}.
- `methode_distance`: how distances are measured (straight line, Lambert-93 / local UTM).
- Headline figures (the same names appear in every `comparaison` block):
  `population`; `nb_communes`; `nb_lieux` (places whose code_commune_2026 is in the territory);
  `lieux_pour_10000_habitants`; `communes_avec_lieu` and `part_communes_avec_lieu`;
  `part_population_commune_avec_lieu` (share of inhabitants whose commune holds ≥ 1 place);
  `distance_moyenne_km` and `distance_mediane_km` (population-weighted, from each commune's inner
  point to the nearest place, places outside the territory included; the median is the smallest
  distance within which at least half the population lives); `part_population_a_moins_de`
  ({"5": share 0–1, "10": …} for each threshold, distance ≤ threshold); `zones_blanches_nb_communes`,
  `zones_blanches_population`, `zones_blanches_part_population` (communes with no place within
  `rayon_km`); `population_zone_sans_lieu` (inhabitants of an overseas zone with no place at all);
  `accessibilite_moyenne`, `accessibilite_mediane` (population-weighted E2SFCA, places per 10,000
  inhabitants within reach) and `population_sans_acces` (no place within the catchment).
- `zones_blanches`: list of {code, nom, population, distance_km} of the white-zone communes, most
  populated first (distance null when the zone has no place at all).
- `lieux`: counts about the input {dans_territoire, sans_position (in the territory but not on the
  map: left out of distances), position_approximative (placed at their commune's inner point),
  sans_commune (input places with no known commune, in no territory), hors_zone (with coordinates
  outside metropolitan France and the five DROM)}.
- `accessibilite`: {methode, unite, rayon_km, decroissance, minimum, maximum (over the territory's
  communes), poids_remplaces (places whose missing weight was replaced by the median)}.
- `comparaison`: {departement, region, france (each {id, nom, …headline figures}) for the parents
  the territory has (a commune also gets `epci`; an EPCI over several départements gets its main
  one), `mediane_pairs` ({niveau, nb_pairs, …median of each figure over the peers: same-level units
  of the same parent, the territory excluded}, null without peers, as for France), `source` (the
  national places used for these benchmarks)}; null when no national places are available.
- `ou_ouvrir`: {methode, rayon_km, sites: [{rang, code, nom, population_nouvellement_couverte,
  communes_nouvellement_couvertes, population_couverte_cumulee, part_population_couverte}]}.
- `temps_route`: null, or with an OSRM server {methode, serveur, temps_moyen_min, temps_median_min,
  part_population_a_moins_de_min {"10": …}, communes_sans_temps}; straight-line figures stay as above.
- `offre`, `horaires`, `qualite`, `fragilite`: summaries of the offer profile (with per-service
  white zones), opening hours, data quality and digital fragility (see their modules).
- `territoires_prioritaires` (see `indicators/priorites.py`): {methode, frr, qpv}. `frr`: {source
  {fichier, libelle, date}, nb_communes, population, nb_lieux, lieux_pour_10000_habitants,
  distance_moyenne_km, distance_mediane_km, part_population_a_moins_de, zones_blanches_population,
  zones_blanches_part_population, par_classement [{classement, nb_communes, population, nb_lieux}] (the
  six official classes apart), hors_zone {the same figures for the other communes}, ecart (a sentence),
  message}. `qpv`: the same with nb_quartiers instead of nb_communes, figures for the people of the QPV
  (placed at each QPV's inner point), nb_quartiers_sans_population, nb_lieux_non_situes (places whose
  point is not their address), quartiers [{code_qp, lib_qp, population, nb_lieux, distance_km}];
  without any QPV: nb_quartiers 0, a message, hors_zone and ecart null. A block whose file is missing
  is {fichier_manquant, message} without figures.
- `moyens_humains` (see `indicators/moyens_humains.py`): {source, date, population, nb_lieux,
  conseillers_numeriques {source, date, nb_structures, attribues, recrutes, formes, and each
  `_pour_10000_habitants` and `_par_lieu`}, aidants_connect {source, date, nb_structures,
  aidants_habilites, aidants_pour_10000_habitants, aidants_par_lieu, usagers_uniques, demarches,
  demarches_par_theme [{theme, demarches, part}], principaux_themes}, comparaison {departement,
  region, france, mediane_pairs}}; {fichier_manquant, message} when a file is missing.
- `avertissements`: French sentences about what the figures could not take into account.
- `perimetre` (perimeters only): {communes, departements, regions (ids touched, most populated
  first: the benchmarks use the first of each), zones_distances (where distances are computed),
  pairs {choix: "aucun" | "choisis", ids, libelle}}; `comparaison.pairs` repeats the peers' statement.

`comparaison`, `ou_ouvrir`, `offre`, `horaires`, `qualite`, `fragilite`, `territoires_prioritaires`
and `moyens_humains` are null when left out through the `parties` argument.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from . import perimetres, territories, zonage
from .indicators import accessibilite as acc
from .indicators import comparaison as cmp
from .indicators import distances as dist
from .indicators import fragilite, horaires, moyens_humains, offre, priorites, qualite
from .indicators.implantation import METHODE as METHODE_IMPLANTATION
from .indicators.implantation import ou_ouvrir
from .sources.base import SourceIndisponible, SourceInfo
from .standard.fields import CODE_COMMUNE, POSITION_APPROX

SEUILS_MINUTES = (10, 20, 30)
# Optional parts of the diagnostic (keys set to null when left out).
PARTIES = (
    "comparaison", "ou_ouvrir", "offre", "horaires", "qualite", "fragilite", "territoires_prioritaires", "moyens_humains"
)
# Default child level of the per-unit table, by territory level.
NIVEAU_ENFANT = {
    "france": "region", "region": "departement", "departement": "commune", "epci": "commune", "commune": "commune"
}
NIVEAU_ENFANT.update({"arrondissement": "commune", "perimetre": "commune"})


def diagnostic(
    territoire,
    lieux: gpd.GeoDataFrame,
    source: SourceInfo | dict,
    *,
    rayon_km: float = cmp.RAYON_KM,
    seuils_km: Sequence[float] = cmp.SEUILS_KM,
    rayon_acces_km: float = acc.RAYON_KM,
    decroissance: acc.Decroissance | None = None,
    poids: pd.Series | str | None = None,
    nb_sites: int = 5,
    lieux_nationaux: gpd.GeoDataFrame | None = None,
    source_nationale: SourceInfo | dict | None = None,
    osrm_url: str | None = None,
    zones_blanches_max: int | None = None,
    parties: Sequence[str] = PARTIES,
) -> dict:
    """The whole diagnostic of `territoire` (a Territoire or an identifier) as a JSON-serializable dict.

    Parameters
    ----------
    lieux : canonical places frame: the territory's places and its neighbours within a buffer (places
        across the border count for distances and accessibility).
    source : where `lieux` come from (shown with every figure).
    rayon_km : white-zone and new-site radius; seuils_km : thresholds of the population shares.
    rayon_acces_km, decroissance : E2SFCA catchment and decay (default Gaussian, σ = catchment / 2).
    poids : supply weight per place (indexed like `lieux`), or "horaires" for weekly opening hours.
    nb_sites : number of new sites to propose (0 to skip).
    lieux_nationaux, source_nationale : national places for the benchmarks; by default `lieux` for
        France, else the embedded snapshot (the `comparaison.source` key says which).
    osrm_url : an OSRM server; adds road travel times (`temps_route`).
    zones_blanches_max : keep only the most populated white zones in the list (None: all).
    parties : optional parts to compute, among PARTIES (the others are null).
    """
    t = territoire if isinstance(territoire, territories.Territoire) else perimetres.resoudre(str(territoire))
    source_dict = source.to_dict() if isinstance(source, SourceInfo) else dict(source)
    seuils = tuple(float(s) for s in seuils_km)
    avertissements: list[str] = []
    poids_serie, poids_libelle = _poids(poids, lieux)

    xy = dist.projeter_lieux(lieux)
    codes = list(t.codes_communes)
    vecteurs = cmp.vecteurs_communes(
        lieux, codes, rayon_acces_km=rayon_acces_km, decroissance=decroissance, poids=poids_serie, lieux_xy=xy
    )
    figures = cmp.figures_json(cmp.indicateurs(vecteurs, rayon_km=rayon_km, seuils_km=seuils), seuils)
    blanches = dist.zones_blanches(vecteurs, vecteurs["distance_km"], rayon_km)
    if zones_blanches_max is not None:
        blanches = blanches.head(zones_blanches_max)

    # Index lookup: Series.isin on 35,000 codes costs a quarter of a second with Arrow strings.
    dans = pd.Index(codes).get_indexer(lieux[CODE_COMMUNE].astype(str)) >= 0
    compte_lieux = _compte_lieux(lieux, xy, dans)
    avertissements += _avertissements_lieux(compte_lieux, figures)
    _, remplaces = acc.poids_offre(poids_serie, lieux.index)
    if remplaces:
        avertissements.append(
            f"{remplaces} lieux sans poids exploitable (horaires illisibles ou absents) comptent pour le poids "
            "médian des autres dans l'accessibilité : complétez leurs horaires pour un calcul exact."
        )

    resultat = {
        "territoire": {**t.to_dict(), "libelle": t.libelle},
        "source": source_dict,
        "parametres": {
            "rayon_km": float(rayon_km),
            "seuils_km": list(seuils),
            "rayon_accessibilite_km": float(rayon_acces_km),
            "decroissance": acc.description_decroissance(rayon_acces_km, decroissance),
            "poids_offre": poids_libelle,
        },
        "methode_distance": dist.METHODE,
        **figures,
        "zones_blanches": [
            {"code": r.code, "nom": r.nom, "population": int(r.population), "distance_km": r.distance_km}
            for r in blanches.itertuples()
        ],
        "lieux": compte_lieux,
        "accessibilite": {
            "methode": acc.METHODE,
            "unite": "lieux pour 10 000 habitants à portée",
            "rayon_km": float(rayon_acces_km),
            "decroissance": acc.description_decroissance(rayon_acces_km, decroissance),
            "minimum": vecteurs["acces_10000"].min(),
            "maximum": vecteurs["acces_10000"].max(),
            "poids_remplaces": remplaces,
        },
        "comparaison": None,
        "ou_ouvrir": None,
        "temps_route": None,
        **{partie: None for partie in ("offre", "horaires", "qualite", "fragilite")},
        "territoires_prioritaires": None,
        "moyens_humains": None,
    }
    if "comparaison" in parties:
        resultat["comparaison"] = _comparaison(
            t, source_dict, lieux_nationaux, source_nationale, avertissements,
            rayon_km=rayon_km, seuils_km=seuils, rayon_acces_km=rayon_acces_km, decroissance=decroissance,
            poids=poids,
        )
    if "ou_ouvrir" in parties and nb_sites > 0:
        sites = ou_ouvrir(dist.communes_choisies(codes), vecteurs["distance_km"], nb_sites, rayon_km=rayon_km)
        resultat["ou_ouvrir"] = {
            "methode": METHODE_IMPLANTATION,
            "rayon_km": float(rayon_km),
            "sites": sites.to_dict(orient="records"),
        }
    if osrm_url:
        resultat["temps_route"] = _temps_route(vecteurs, lieux, osrm_url, avertissements)

    resultat.update(_profils(vecteurs, lieux, xy, dans, rayon_km, parties))
    if t.niveau == "perimetre":
        resultat["perimetre"] = perimetres.description_perimetre(t)
        if len(territories.zones_perimetre(t)) > 1:
            avertissements.append(resultat["perimetre"]["zones_distances"])
        if resultat["comparaison"] is not None:
            resultat["comparaison"]["pairs"] = resultat["perimetre"]["pairs"]
    if "territoires_prioritaires" in parties:
        resultat["territoires_prioritaires"] = priorites.resume_priorites(
            vecteurs, lieux, dans, lieux_xy=xy, rayon_km=rayon_km, seuils_km=seuils
        )
    if "moyens_humains" in parties:
        resultat["moyens_humains"] = _moyens_humains(t, figures["nb_lieux"], lieux, lieux_nationaux)
    resultat["avertissements"] = avertissements
    return valeurs_json(resultat)


def table_unites(
    territoire,
    lieux: gpd.GeoDataFrame,
    niveau: str | None = None,
    *,
    rayon_km: float = cmp.RAYON_KM,
    seuils_km: Sequence[float] = cmp.SEUILS_KM,
    rayon_acces_km: float = acc.RAYON_KM,
    decroissance: acc.Decroissance | None = None,
    poids: pd.Series | str | None = None,
) -> pd.DataFrame:
    """One row per child unit of `territoire` (default: régions of France, départements of a région,
    communes of a département or EPCI; a commune gives its own row): id, code, nom, niveau and the
    headline figures, shares within thresholds as `part_population_a_moins_de_<s>_km` columns.

    An EPCI that straddles the département's border is counted whole; its communes beyond the places'
    buffer may then see their nearest place farther than it is.
    """
    t = territoire if isinstance(territoire, territories.Territoire) else perimetres.resoudre(str(territoire))
    niveau = niveau or NIVEAU_ENFANT[t.niveau]
    unites = [t] if niveau == t.niveau else territories.children(t, niveau)
    appartenance = pd.Series({c: u.code or "france" for u in unites for c in u.codes_communes}, dtype=object)
    poids_serie, _ = _poids(poids, lieux)
    vecteurs = cmp.vecteurs_communes(
        lieux, appartenance.index, rayon_acces_km=rayon_acces_km, decroissance=decroissance, poids=poids_serie
    )
    table = cmp.indicateurs_par_unite(vecteurs, appartenance, rayon_km=rayon_km, seuils_km=seuils_km)
    entete = pd.DataFrame(
        {"id": [u.id for u in unites], "code": [u.code or "france" for u in unites], "nom": [u.nom for u in unites],
         "niveau": niveau}
    )
    arrondis = {nom: cmp.decimales(nom) for nom in table.columns}  # as in the JSON
    return entete.join(table.round(arrondis), on="code").reset_index(drop=True)


def _compte_lieux(lieux: gpd.GeoDataFrame, xy: pd.DataFrame, dans: np.ndarray) -> dict:
    localise = (xy["zone_proj"] != "").to_numpy()
    a_geometrie = (~(lieux.geometry.isna() | lieux.geometry.is_empty)).to_numpy()
    return {
        "dans_territoire": int(dans.sum()),
        "sans_position": int((dans & ~localise).sum()),
        "position_approximative": int((dans & lieux[POSITION_APPROX].to_numpy(dtype=bool)).sum()),
        "sans_commune": int((lieux[CODE_COMMUNE].astype(str) == "").sum()),
        "hors_zone": int((a_geometrie & ~localise).sum()),
    }


def _profils(
    vecteurs: pd.DataFrame, lieux: gpd.GeoDataFrame, xy: pd.DataFrame, dans: np.ndarray, rayon_km: float, parties
) -> dict:
    """The offer, hours, quality and fragility summaries asked for in `parties`."""
    communes = vecteurs.reset_index()[["code", "nom", "population"]]
    lieux_territoire = lieux[dans]
    out = {}
    if "offre" in parties:
        points = dist.communes_choisies(vecteurs.index)

        def plus_proche(sous_ensemble: gpd.GeoDataFrame) -> pd.Series:
            # The places were projected once (`xy`); the result is aligned on `communes` row by row.
            sous_xy = xy.loc[sous_ensemble.index] if xy.index.is_unique else dist.projeter_lieux(sous_ensemble)
            return pd.Series(dist.distance_plus_proche(points, sous_xy).to_numpy(), index=communes.index)

        out["offre"] = offre.resume_offre(
            lieux_territoire, communes=communes, nearest_fn=plus_proche, lieux_proches=lieux, seuil_km=rayon_km
        )
    if "horaires" in parties:
        out["horaires"] = horaires.resume_horaires(lieux_territoire)
    if "qualite" in parties:
        out["qualite"] = qualite.resume_qualite(lieux_territoire)
    if "fragilite" in parties:
        out["fragilite"] = fragilite.resume_fragilite(
            communes, accessibilite=vecteurs["acces_10000"], distance_km=vecteurs["distance_km"]
        )
    return out


def _moyens_humains(t, nb_lieux, lieux, lieux_nationaux) -> dict:
    """Human means; parents' and peers' per-place figures from the national places (embedded snapshot
    unless given), as the other benchmarks."""
    if lieux_nationaux is None and t.niveau == "france":
        lieux_nationaux = lieux
    if lieux_nationaux is None:
        from .places import lieux_embarques

        try:
            lieux_nationaux = lieux_embarques(territories.get("france")).lieux
        except SourceIndisponible:
            lieux_nationaux = None
    parents = [territories.get(p) for p in t.parents]
    try:
        return moyens_humains.resume_moyens_humains(
            t, nb_lieux, parents=parents, pairs=territories.peers(t), lieux_nationaux=lieux_nationaux
        )
    except zonage.FichierAbsent as exc:
        return {"fichier_manquant": exc.fichier, "message": str(exc)}


def _poids(poids, lieux) -> tuple[pd.Series | None, str]:
    if poids is None:
        return None, "1 par lieu"
    if isinstance(poids, str):
        if poids != "horaires":
            raise ValueError(
                f"Poids inconnu : « {poids} » ; utilisez « horaires » ou une série de poids par lieu."
            )
        return horaires.heures_hebdomadaires(lieux), "heures d'ouverture hebdomadaires"
    return poids, "poids fournis par lieu"


def accord(n: int, singulier: str, pluriel: str) -> str:
    """"1 lieu", "3 lieux" (the house writes "0 lieux")."""
    return f"{n} {singulier if n == 1 else pluriel}"


def _avertissements_lieux(compte: dict, figures: dict) -> list[str]:
    out = []
    if n := compte["sans_position"]:
        out.append(
            f"{accord(n, 'lieu du territoire n’a', 'lieux du territoire n’ont')} pas de coordonnées exploitables : "
            "ils comptent dans la densité mais pas dans les distances ; géolocalisez-les pour des distances complètes."
        )
    if n := compte["position_approximative"]:
        out.append(
            f"{accord(n, 'lieu est placé', 'lieux sont placés')} au centre de leur commune faute d'adresse "
            "géolocalisée : leurs distances sont approximatives."
        )
    if n := compte["sans_commune"]:
        out.append(
            f"{accord(n, 'lieu n’a', 'lieux n’ont')} pas de commune connue et ne comptent dans aucun territoire : "
            "corrigez leur code INSEE ou leur adresse."
        )
    if n := compte["hors_zone"]:
        out.append(
            f"{accord(n, 'lieu a', 'lieux ont')} des coordonnées hors de la métropole et des DROM "
            "(collectivité d'outre-mer ou coordonnées erronées) : ils sont exclus des distances."
        )
    if figures.get("population_zone_sans_lieu"):
        out.append(
            f"{figures['population_zone_sans_lieu']} habitants vivent dans un département d'outre-mer sans aucun lieu "
            "connu : leur distance est indéfinie et ils comptent hors de tous les seuils."
        )
    return out


def _comparaison(t, source_dict, lieux_nationaux, source_nationale, avertissements, *, poids, **parametres):
    if t.niveau == "france":
        return {"mediane_pairs": None, "source": source_dict}
    if lieux_nationaux is None:
        from .places import lieux_embarques

        try:
            embarques = lieux_embarques(territories.get("france"))
        except SourceIndisponible as exc:
            avertissements.append(f"Comparaisons indisponibles : {exc}")
            return None
        lieux_nationaux, source_nationale = embarques.lieux, embarques.source
    if isinstance(source_nationale, SourceInfo):
        nationale = source_nationale.to_dict()
    else:
        nationale = dict(source_nationale or source_dict)
    if nationale.get("nom") != source_dict.get("nom") or nationale.get("date") != source_dict.get("date"):
        avertissements.append(
            f"Les comparaisons utilisent « {nationale.get('libelle', nationale.get('nom'))} » "
            f"({nationale.get('date')}), pas la source du territoire : une partie des écarts peut venir des données."
        )
    if poids is not None and not isinstance(poids, str):
        avertissements.append(
            "Les comparaisons comptent chaque lieu pour 1 : les poids fournis ne valent que pour les lieux "
            "du territoire."
        )
    poids_nationaux, _ = _poids(poids if isinstance(poids, str) else None, lieux_nationaux)
    refs = cmp.references(lieux_nationaux, poids=poids_nationaux, **parametres)
    parents = [territories.get(p) for p in t.parents]
    bloc = cmp.comparer(t, parents, territories.peers(t), refs)
    bloc["source"] = nationale
    return bloc


def _temps_route(vecteurs, lieux, osrm_url, avertissements) -> dict | None:
    from .indicators import temps_route  # the HTTP client, only when road times are asked

    communes = dist.communes_choisies(vecteurs.index)
    try:
        temps = temps_route.temps_plus_proche(communes, lieux, osrm_url)
    except temps_route.OSRMIndisponible as exc:
        avertissements.append(f"{exc} Les distances restent à vol d'oiseau.")
        return None
    pop = vecteurs["population"]
    connus = temps.notna()
    parts = dist.part_population_a_moins_de(temps.fillna(np.inf), pop, SEUILS_MINUTES)
    return {
        "methode": temps_route.METHODE_ROUTE,
        "serveur": osrm_url,
        "temps_moyen_min": dist.moyenne_ponderee(temps[connus], pop[connus]),
        "temps_median_min": dist.mediane_ponderee(temps.fillna(np.inf), pop),
        "part_population_a_moins_de_min": {cmp.cle_seuil(s): v for s, v in parts.items()},
        "communes_sans_temps": int((~connus).sum()),
    }


def valeurs_json(valeur):
    """Plain Python values only: numpy scalars unwrapped, NaN/inf/NA → None, tuples → lists."""
    if isinstance(valeur, dict):
        return {str(k): valeurs_json(v) for k, v in valeur.items()}
    if isinstance(valeur, (list, tuple)):
        return [valeurs_json(v) for v in valeur]
    if isinstance(valeur, np.generic):
        valeur = valeur.item()
    if valeur is pd.NA or valeur is pd.NaT:
        return None
    if isinstance(valeur, float):
        return valeur if math.isfinite(valeur) else None
    return valeur
