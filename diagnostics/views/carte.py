"""The territory map of the dashboard (folium): places by dispositif, a commune choropleth, white zones, outline.

Like geopandas' `explore()`, `carte_territoire` takes frames and keyword options and returns a
`folium.Map` (or draws on `m=`). It works offline: no tiles unless asked, assets served locally.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..indicators import fragilite
from . import assets, carte_elements, carte_lieux

# The fragility index keeps the classes, labels and palette of indicators.fragilite (those of Mon
# Inclusion Numérique). Other indicators: quantile classes in ColorBrewer YlGnBu (colour-blind safe).
COULEURS_QUANTILES = ("#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494")


COULEUR_MANQUANTE = fragilite.COULEUR_SANS_DONNEE


COULEUR_FOND = "#F4F4F0"  # commune fill when no indicator is drawn: the offline basemap


FONDS = ("aucun", "osm")


SCHEMAS = ("quantiles", "ifn")


@dataclass(frozen=True)
class Classement:
    """Classes of an indicator: `codes[i]` is the class of value i (-1 when missing)."""

    codes: np.ndarray
    libelles: tuple[str, ...]
    couleurs: tuple[str, ...]


def classer_indicateur(valeurs: pd.Series, schema: str = "quantiles") -> Classement:
    """Cut an indicator into colour classes.

    Parameters
    ----------
    valeurs : the indicator per territory; non-numeric or missing values get class -1.
    schema : "ifn" for the 7 fixed classes of the fragility index (score 0–10), "quantiles" for up
        to 5 quantile classes (fewer when values repeat).
    """
    if schema not in SCHEMAS:
        raise ValueError(f"Schéma de classes inconnu « {schema} » : choisissez parmi {', '.join(SCHEMAS)}.")
    nombres = pd.to_numeric(pd.Series(valeurs), errors="coerce").to_numpy(dtype=float)
    connus = np.isfinite(nombres)
    codes = np.full(len(nombres), -1, dtype=int)
    if schema == "ifn":
        codes = fragilite.classe_ifn(nombres).fillna(0).astype(int).to_numpy() - 1
        n = fragilite.NB_CLASSES
        bornes = [k * 10 / n for k in range(n + 1)]
        libelles = tuple(
            f"{_un_chiffre(bornes[k])} – {_un_chiffre(bornes[k + 1])} ({fragilite.LIBELLES_CLASSES[k]})" for k in range(n)
        )
        return Classement(codes, libelles, fragilite.COULEURS_CLASSES)
    if not connus.any():
        return Classement(codes, (), ())
    bornes = np.unique(np.quantile(nombres[connus], np.linspace(0, 1, len(COULEURS_QUANTILES) + 1)))
    if len(bornes) == 1:
        codes[connus] = 0
        return Classement(codes, (_nombre(bornes[0]),), (COULEURS_QUANTILES[-1],))
    codes[connus] = np.searchsorted(bornes[1:-1], nombres[connus], side="right")
    n = len(bornes) - 1
    # n classes take n colours spread over the whole palette (its ends included).
    pas = (len(COULEURS_QUANTILES) - 1) / (n - 1) if n > 1 else 0
    couleurs = tuple(COULEURS_QUANTILES[round(i * pas)] for i in range(n)) if n > 1 else (COULEURS_QUANTILES[-1],)
    libelles = tuple(f"{_nombre(bornes[i])} – {_nombre(bornes[i + 1])}" for i in range(n))
    return Classement(codes, libelles, couleurs)


def carte_territoire(
    lieux: gpd.GeoDataFrame | None,
    communes: gpd.GeoDataFrame,
    contour=None,
    *,
    fond: str = "aucun",
    assets_base: str = assets.STREAMLIT_STATIC,
    m: folium.Map | None = None,
    **options,
) -> folium.Map:
    """Map of a territory: its places, its communes (choropleth of one indicator), white zones, outline.

    `preparer_carte(lieux, communes, contour, **options)` then `dessiner_carte(…, fond, assets_base, m)`:
    see them for the parameters.
    """
    return dessiner_carte(preparer_carte(lieux, communes, contour, **options), fond=fond, assets_base=assets_base, m=m)


@dataclass(frozen=True)
class CartePreparee:
    """Everything a territory map draws, as text: computed once (the costly part, cacheable and
    shared), drawn into a new folium map by `dessiner_carte` at every page run."""

    couches: tuple[carte_elements.Couche, ...]  # bottom-up
    devant: int  # how many of the last layers stay in front of the choropleth
    legende: tuple[str, ...]
    bornes: tuple[float, float, float, float]  # west, south, east, north


def preparer_carte(
    lieux: gpd.GeoDataFrame | None,
    communes: gpd.GeoDataFrame,
    contour=None,
    *,
    indicateur: str | None = None,
    libelle_indicateur: str | None = None,
    classes: str = "quantiles",
    zones_blanches: Iterable[str] | None = None,
    lieux_voisins: gpd.GeoDataFrame | None = None,
    couches_sup: Iterable = (),
) -> CartePreparee:
    """The layers and legend of a territory map.

    Parameters
    ----------
    lieux : canonical places frame (diagnostics.standard.fields); places without a position are
        counted in the legend, not drawn.
    communes : polygons to draw (`code`, `nom`, geometry, and the indicator column). For a national
        view pass départements rather than 35,000 communes. Simplified to the map's scale.
    contour : the territory's outline (GeoDataFrame, GeoSeries or shapely geometry); the map fits it.
    indicateur : column of `communes` to colour; None draws plain outlines as an offline basemap.
    libelle_indicateur : French title of the indicator in the legend (default: the column name).
    classes : "ifn" (7 fixed classes of the fragility index) or "quantiles".
    zones_blanches : codes of the white-zone communes, outlined.
    lieux_voisins : places of the neighbouring territories, drawn faded in their own layer.
    couches_sup : functions `(tolerance, legende) -> carte_elements.Couche | None` of extra overlays (e.g.
        `carte_zonage.couches_zonage`), drawn above the communes and below the places.
    """
    communes = carte_elements.en_wgs84(communes)
    geometrie_contour = carte_elements.geometrie(contour)
    bornes = carte_elements.bornes(geometrie_contour, communes, lieux)
    tolerance = math.hypot(bornes[2] - bornes[0], bornes[3] - bornes[1]) / 3000
    # Built in legend order (places first), drawn bottom-up.
    legende = carte_elements.Legende()
    devant = [carte_lieux.couche_lieux(lieux, "Lieux d'inclusion numérique", voisins=False, legende=legende)]
    if lieux_voisins is not None and len(lieux_voisins):
        devant.insert(0, carte_lieux.couche_lieux(lieux_voisins, "Lieux des territoires voisins", voisins=True, legende=legende))
    # Simplified once: the white-zone outlines then follow the drawn commune borders exactly.
    polygones = carte_elements.simplifier(communes.geometry.to_numpy(), tolerance)
    couche_communes = _couche_communes(communes, polygones, indicateur, libelle_indicateur, classes, zones_blanches, legende)
    if geometrie_contour is not None:
        devant.insert(0, _couche_contour(geometrie_contour, tolerance))
    if zones_blanches is not None:
        devant.insert(0, _couche_zones_blanches(communes, polygones, zones_blanches, legende))
    for fabrique in reversed(list(couches_sup)):
        if (couche := fabrique(tolerance, legende)) is not None:
            devant.insert(0, couche)
    return CartePreparee((couche_communes, *devant), len(devant), tuple(legende.sections), bornes)


def dessiner_carte(
    preparee: CartePreparee, *, fond: str = "aucun", assets_base: str = assets.STREAMLIT_STATIC, m: folium.Map | None = None
) -> folium.Map:
    """A folium map of a prepared territory map (a few milliseconds: the layers are final text).

    Parameters
    ----------
    fond : "aucun" (no tiles, works offline) or "osm" (OpenStreetMap tiles, needs Internet).
    assets_base : URL prefix of static/vendor/ (see `assets.base_streamlit`, `assets.base_fichier`).
    m : existing map to draw on (its renderer is switched to canvas).
    """
    if fond not in FONDS:
        raise ValueError(f"Fond de carte inconnu « {fond} » : choisissez parmi {', '.join(FONDS)}.")
    ouest, sud, est, nord = preparee.bornes
    if m is None:
        m = folium.Map(location=[(sud + nord) / 2, (ouest + est) / 2], zoom_start=6, tiles=None, prefer_canvas=True, control_scale=True)
    m.options["prefer_canvas"] = True
    if fond == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", max_zoom=19, control=False).add_to(m)
    else:
        # Without a tile layer Leaflet has no zoom range; clusters and fitBounds need one.
        m.options["max_zoom"] = 18
    couches = [carte_elements.CoucheGeoJson(couche) for couche in preparee.couches]
    for couche in couches:
        couche.add_to(m)
    carte_elements.AuPremierPlan(couches[len(couches) - preparee.devant:]).add_to(m)
    legende = carte_elements.Legende()
    legende.sections.extend(preparee.legende)
    legende.add_to(m)
    m.fit_bounds([[sud, ouest], [nord, est]])
    carte_elements.ajouter_controles(m)
    carte_elements.sans_icones(m)
    return assets.localiser(m, assets_base)


def _couche_communes(
    communes: gpd.GeoDataFrame,
    polygones: np.ndarray,
    indicateur: str | None,
    libelle: str | None,
    schema: str,
    zones_blanches: Iterable[str] | None,
    legende: carte_elements.Legende,
) -> carte_elements.Couche:
    if indicateur is not None and indicateur not in communes:
        raise ValueError(f"La colonne « {indicateur} » est absente du fond de carte : choisissez un indicateur calculé.")
    titre = libelle or indicateur or "Limites administratives"
    zones = set(_codes(zones_blanches))
    codes = communes["code"].astype(str).to_numpy() if "code" in communes else np.full(len(communes), "")
    noms = carte_elements.colonne(communes, "nom").tolist()
    proprietes = [{"n": carte_elements.echapper(noms[i]) or carte_elements.echapper(codes[i])} for i in range(len(communes))]
    for i, code in enumerate(codes):
        if code in zones:
            proprietes[i]["z"] = 1
    if indicateur is None:
        prelude = f"var C = [], MANQUE = {carte_elements.json_script(COULEUR_FOND)}, LIB = '';"
    else:
        classement = classer_indicateur(communes[indicateur], schema)
        brutes = communes[indicateur].to_numpy()
        for i, code_classe in enumerate(classement.codes):
            proprietes[i]["k"] = int(code_classe)
            proprietes[i]["v"] = carte_elements.echapper(_valeur(brutes[i]))
        prelude = (
            f"var C = {carte_elements.json_script(list(classement.couleurs))}, MANQUE = {carte_elements.json_script(COULEUR_MANQUANTE)}, "
            f"LIB = {carte_elements.json_script(carte_elements.echapper(titre))};"
        )
        lignes = [(carte_elements.pastille(c), lib) for c, lib in zip(classement.couleurs, classement.libelles)]
        manquantes = int((classement.codes < 0).sum())
        if manquantes:
            lignes.append((carte_elements.pastille(COULEUR_MANQUANTE), f"Non renseigné ({manquantes})"))
        legende.section(titre, lignes)
    options = (
        "{style: function (f) { var k = f.properties.k; return {"
        "fillColor: (k === undefined || k < 0) ? MANQUE : C[k], fillOpacity: C.length ? 0.75 : 1, "
        "color: '#7a7a7a', weight: 0.6}; }}"
    )
    suite = (
        ".bindTooltip(function (couche) { var p = couche.feature.properties;"
        " return '<strong>' + p.n + '</strong>' + (p.v ? '<br>' + LIB + ' : ' + p.v : '')"
        " + (p.z ? '<br>Zone blanche' : ''); }, {sticky: true})"
    )
    donnees = carte_elements.feature_collection(polygones, proprietes)
    return carte_elements.Couche(titre, donnees, options, prelude, suite)


def _couche_zones_blanches(communes, polygones: np.ndarray, zones_blanches, legende: carte_elements.Legende) -> carte_elements.Couche:
    codes = list(dict.fromkeys(_codes(zones_blanches)))
    connues = communes["code"].astype(str).isin(codes).to_numpy() if "code" in communes else np.zeros(len(communes), bool)
    absentes = len(set(codes) - set(communes["code"].astype(str))) if "code" in communes else len(codes)
    notes = []
    if absentes:
        notes.append(f"{absentes} code{'s' if absentes > 1 else ''} de commune absent{'s' if absentes > 1 else ''} du fond de carte.")
    legende.section("Zones blanches", [('<i class="trait"></i>', f"Communes en zone blanche ({int(connues.sum())})")], notes)
    donnees = carte_elements.feature_collection(polygones[connues], [{}] * int(connues.sum()))
    options = "{interactive: false, style: {fill: false, color: '#000000', weight: 2.5, dashArray: '5 4'}}"
    return carte_elements.Couche("Zones blanches", donnees, options)


def _couche_contour(geometrie, tolerance: float) -> carte_elements.Couche:
    geometries = carte_elements.simplifier(np.array([geometrie], dtype=object), tolerance)
    donnees = carte_elements.feature_collection(geometries, [{}])
    options = "{interactive: false, style: {fill: false, color: '#1a1a1a', weight: 3}}"
    return carte_elements.Couche("Contour du territoire", donnees, options)


def _codes(zones_blanches) -> list[str]:
    if zones_blanches is None:
        return []
    if isinstance(zones_blanches, pd.DataFrame):
        zones_blanches = zones_blanches["code"]
    return [str(code) for code in zones_blanches]


def _valeur(valeur) -> str:
    nombre = pd.to_numeric(pd.Series([valeur]), errors="coerce").iloc[0]
    if pd.notna(nombre):
        return _nombre(float(nombre))
    return valeur.strip() if isinstance(valeur, str) else ""


def _nombre(x: float) -> str:
    """French number: narrow no-break space for thousands, decimal comma, 3 significant digits."""
    if not math.isfinite(x):
        return ""
    if float(x).is_integer():
        texte = f"{int(x):,}"
    else:
        decimales = min(6, max(0, 2 - math.floor(math.log10(abs(x)))))
        texte = f"{x:,.{decimales}f}"
        texte = texte.rstrip("0").rstrip(".") if "." in texte else texte
    return texte.replace(",", "\u202f").replace(".", ",")


def _un_chiffre(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".").replace(".", ",")
