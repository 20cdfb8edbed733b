"""The map of the « Évolution » page (folium): places opened, closed and moved between two pictures, and
the communes that became white zones or left them, over the territory's communes.

Each kind of change has its own shape *and* colour (Okabe–Ito, checked with `daltonisme`), so that it
reads without colour too: opened = filled circle, closed = square outline, moved = dashed line from the
old position (small ring) to the new one (diamond); communes that became white zones are outlined
dashed, those that left them solid. Built like the territory map: `preparer_carte_evolution` makes the
layers as final text (cacheable), `carte.dessiner_carte` draws them; every data string is escaped.
"""
from __future__ import annotations

import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import reference, territories
from ..evolution import DEPLACEMENT_M, Evolution
from . import assets, carte_elements
from .carte import COULEUR_FOND, CartePreparee, dessiner_carte
from .format import nombre

COULEUR_OUVERT = "#009E73"  # bluish green
COULEUR_FERME = "#D55E00"  # vermillion
COULEUR_DEPLACE = "#0072B2"  # blue
COULEUR_DEVENUE = "#000000"  # dashed outline
COULEUR_SORTIE = "#CC79A7"  # reddish purple, solid outline
PALETTE = (COULEUR_OUVERT, COULEUR_FERME, COULEUR_DEPLACE, COULEUR_DEVENUE, COULEUR_SORTIE)

# Marker shapes drawn by Leaflet itself (a divIcon of inline-styled HTML: no icon font, no extra asset).
_CARRE = (
    f'<div style="box-sizing:border-box;width:14px;height:14px;border:3px solid {COULEUR_FERME};'
    'background:rgba(255,255,255,.75)"></div>'
)
_LOSANGE = (
    f'<div style="box-sizing:border-box;width:12px;height:12px;margin:1px;background:{COULEUR_DEPLACE};'
    'border:1.5px solid #ffffff;transform:rotate(45deg)"></div>'
)
_PASTILLES = {
    "ouvert": carte_elements.pastille(COULEUR_OUVERT, "rond"),
    "ferme": f'<i style="box-sizing:border-box;border:3px solid {COULEUR_FERME};background:transparent"></i>',
    "deplace": f'<i style="background:{COULEUR_DEPLACE};transform:rotate(45deg) scale(.8)"></i>',
    "devenue": f'<i class="trait" style="border-color:{COULEUR_DEVENUE}"></i>',
    "sortie": f'<i style="box-sizing:border-box;border:2px solid {COULEUR_SORTIE};background:transparent"></i>',
}
_INFOBULLE = ".bindTooltip(function (couche) { return couche.feature.properties.h; }, {sticky: true})"


def fond_territoire(territoire) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, object]:
    """(basemap polygons, commune polygons for the white zones, outline) of a territory: its communes;
    for France its départements as the basemap (35,000 communes would weigh tens of megabytes)."""
    t = territoire if isinstance(territoire, territories.Territoire) else territories.resolve(str(territoire))
    if t.niveau == "france":
        deps = reference.departements()[["code", "nom", "geometry"]]
        return deps, reference.communes()[["code", "nom", "geometry"]], deps[deps["code"].str.len() == 2].union_all()
    communes = territories.communes_frame(t)[["code", "nom", "geometry"]]
    return communes, communes, territories.geometry(t)


def preparer_carte_evolution(
    evolution: Evolution,
    communes: gpd.GeoDataFrame,
    contour=None,
    *,
    communes_zones: gpd.GeoDataFrame | None = None,
) -> CartePreparee:
    """The layers and legend of the évolution map.

    Parameters
    ----------
    evolution : result of `evolution.comparer`.
    communes : basemap polygons (`code`, `nom`, geometry), simplified to the map's scale.
    contour : the territory's outline; the map fits it.
    communes_zones : polygons in which the white-zone communes are looked up by `code` (default `communes`).
    """
    communes = carte_elements.en_wgs84(communes)
    zones = communes if communes_zones is None else carte_elements.en_wgs84(communes_zones)
    geometrie_contour = carte_elements.geometrie(contour)
    bornes = carte_elements.bornes(geometrie_contour, communes, None)
    tolerance = math.hypot(bornes[2] - bornes[0], bornes[3] - bornes[1]) / 3000
    legende = carte_elements.Legende()

    ouverts, sans_ouverts = _points(evolution.ouverts, "Ouvert")
    fermes, sans_fermes = _points(evolution.fermes, "Fermé")
    deplaces = _couche_deplaces(evolution.deplaces)
    lignes = [
        (_PASTILLES["ouvert"], f"Lieux ouverts ({nombre(len(evolution.ouverts))})"),
        (_PASTILLES["ferme"], f"Lieux fermés ({nombre(len(evolution.fermes))})"),
        (_PASTILLES["deplace"], f"Lieux déplacés de plus de {DEPLACEMENT_M:.0f} m ({nombre(len(evolution.deplaces))})"),
    ]
    notes = ["Déplacés : tirets depuis l'ancienne position (petit cercle) jusqu'à la nouvelle (losange)."]
    sans_position = sans_ouverts + sans_fermes
    if sans_position:
        notes.append(f"{nombre(sans_position)} lieu{'x' if sans_position > 1 else ''} sans position "
                     f"ne figure{'nt' if sans_position > 1 else ''} pas sur la carte.")
    legende.section("Changements entre les deux photos", lignes, notes)

    devenues = evolution.communes_devenues_zones_blanches
    sorties = evolution.communes_sorties_des_zones_blanches
    legende.section(f"Zones blanches (à plus de {evolution.rayon_km:g} km d'un lieu)", [
        (_PASTILLES["devenue"], f"Communes devenues zones blanches ({nombre(len(devenues))})"),
        (_PASTILLES["sortie"], f"Communes sorties des zones blanches ({nombre(len(sorties))})"),
    ])

    couches = [_couche_communes(communes, tolerance)]
    if geometrie_contour is not None:
        couches.append(_couche_contour(geometrie_contour, tolerance))
    couches += [
        _couche_zones(zones, sorties, "Communes sorties des zones blanches", "sortie des zones blanches",
                      f"{{color: '{COULEUR_SORTIE}', weight: 3, fill: true, fillColor: '{COULEUR_SORTIE}', fillOpacity: 0.12}}",
                      tolerance, "Le lieu le plus proche était à {km} km avant"),
        _couche_zones(zones, devenues, "Communes devenues zones blanches", "devenue zone blanche",
                      f"{{color: '{COULEUR_DEVENUE}', weight: 3, dashArray: '6 4', fill: true, fillColor: '{COULEUR_DEVENUE}', "
                      "fillOpacity: 0.1}", tolerance, "Le lieu le plus proche est désormais à {km} km"),
        deplaces,
        carte_elements.Couche(
            f"Lieux fermés ({nombre(len(evolution.fermes))})", fermes,
            "{pointToLayer: function (f, ll) { return L.marker(ll, {icon: L.divIcon({className: '', iconSize: [14, 14], "
            f"html: {carte_elements.json_script(_CARRE)}}})}}); }}}}",
            suite=_INFOBULLE,
        ),
        carte_elements.Couche(
            f"Lieux ouverts ({nombre(len(evolution.ouverts))})", ouverts,
            "{pointToLayer: function (f, ll) { return L.circleMarker(ll, {radius: 7, color: '#ffffff', weight: 1.5, "
            f"fillColor: '{COULEUR_OUVERT}', fillOpacity: 0.95}}); }}}}",
            suite=_INFOBULLE,
        ),
    ]
    return CartePreparee(tuple(couches), len(couches) - 1, tuple(legende.sections), bornes)


def carte_evolution(
    evolution: Evolution,
    communes: gpd.GeoDataFrame,
    contour=None,
    *,
    communes_zones: gpd.GeoDataFrame | None = None,
    fond: str = "aucun",
    assets_base: str = assets.STREAMLIT_STATIC,
    m: folium.Map | None = None,
) -> folium.Map:
    """The évolution map as a `folium.Map` (or drawn on `m=`); see `preparer_carte_evolution`."""
    preparee = preparer_carte_evolution(evolution, communes, contour, communes_zones=communes_zones)
    return dessiner_carte(preparee, fond=fond, assets_base=assets_base, m=m)


def _texte(valeur) -> str:
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)):
        return ""
    return carte_elements.echapper(str(valeur).strip())


def _infobulle(ligne, changement: str, detail: str = "") -> str:
    """Tooltip HTML of a place, every data string escaped."""
    nom = _texte(ligne.nom) or "(sans nom)"
    morceaux = [f"<strong>{nom}</strong>", f"{changement} · {_texte(ligne.commune)}"]
    if _texte(ligne.dispositifs):
        morceaux.append("Dispositifs : " + _texte(ligne.dispositifs).replace("|", ", "))
    if detail:
        morceaux.append(detail)
    return "<br>".join(morceaux)


def _positions(table: pd.DataFrame, lat: str = "latitude", lon: str = "longitude") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = pd.to_numeric(table[lat], errors="coerce").to_numpy(dtype=float) if lat in table else np.full(len(table), np.nan)
    x = pd.to_numeric(table[lon], errors="coerce").to_numpy(dtype=float) if lon in table else np.full(len(table), np.nan)
    return x, y, np.isfinite(x) & np.isfinite(y)


def _points(table: pd.DataFrame, changement: str) -> tuple[str, int]:
    """GeoJSON text of the positioned places of `table`, and how many have no position."""
    x, y, ok = _positions(table)
    points = shapely.points(np.round(x[ok], 5), np.round(y[ok], 5))
    proprietes = [{"h": _infobulle(ligne, changement)} for ligne in table[ok].itertuples()]
    return carte_elements.feature_collection(points, proprietes), int((~ok).sum())


def _couche_deplaces(table: pd.DataFrame) -> carte_elements.Couche:
    x0, y0, ok0 = _positions(table, "latitude_avant", "longitude_avant")
    x1, y1, ok1 = _positions(table, "latitude", "longitude")
    ok = ok0 & ok1
    geometries, proprietes = [], []
    for i, ligne in zip(np.flatnonzero(ok), table[ok].itertuples()):
        h = _infobulle(ligne, "Déplacé", f"Déplacé de {nombre(ligne.distance_m)} m")
        depart, arrivee = (round(x0[i], 5), round(y0[i], 5)), (round(x1[i], 5), round(y1[i], 5))
        geometries += [shapely.LineString([depart, arrivee]), shapely.Point(depart), shapely.Point(arrivee)]
        proprietes += [{"h": h, "k": "l"}, {"h": h, "k": "a"}, {"h": h, "k": "p"}]
    donnees = carte_elements.feature_collection(np.array(geometries, dtype=object), proprietes)
    options = (
        f"{{style: {{color: '{COULEUR_DEPLACE}', weight: 2.5, dashArray: '6 4'}}, pointToLayer: function (f, ll) {{"
        f" if (f.properties.k === 'a') {{ return L.circleMarker(ll, {{radius: 4, color: '{COULEUR_DEPLACE}', weight: 2, "
        "fillColor: '#ffffff', fillOpacity: 1}); }"
        " return L.marker(ll, {icon: L.divIcon({className: '', iconSize: [14, 14], "
        f"html: {carte_elements.json_script(_LOSANGE)}}})}}); }}}}"
    )
    return carte_elements.Couche(f"Lieux déplacés ({nombre(len(table))})", donnees, options, suite=_INFOBULLE)


def _couche_communes(communes: gpd.GeoDataFrame, tolerance: float) -> carte_elements.Couche:
    polygones = carte_elements.simplifier(communes.geometry.to_numpy(), tolerance)
    noms = carte_elements.colonne(communes, "nom").tolist()
    codes = carte_elements.colonne(communes, "code").tolist()
    proprietes = [{"h": carte_elements.echapper(nom or code)} for nom, code in zip(noms, codes)]
    options = f"{{style: {{fillColor: '{COULEUR_FOND}', fillOpacity: 1, color: '#9a9a9a', weight: 0.6}}}}"
    return carte_elements.Couche(
        "Communes", carte_elements.feature_collection(polygones, proprietes), options, suite=_INFOBULLE,
    )


def _couche_contour(geometrie, tolerance: float) -> carte_elements.Couche:
    geometries = carte_elements.simplifier(np.array([geometrie], dtype=object), tolerance)
    options = "{interactive: false, style: {fill: false, color: '#1a1a1a', weight: 3}}"
    return carte_elements.Couche("Contour du territoire", carte_elements.feature_collection(geometries, [{}]), options)


def _couche_zones(polygones_communes: gpd.GeoDataFrame, table: pd.DataFrame, nom: str, statut: str, style: str,
                  tolerance: float, distance: str) -> carte_elements.Couche:
    """White-zone communes of `table` (code, distance_km); `distance` words the distance ("{km}" in it)."""
    codes = table["code"].astype(str).tolist()
    choisies = polygones_communes[polygones_communes["code"].astype(str).isin(codes)]
    distances = dict(zip(codes, table["distance_km"]))
    geometries = carte_elements.simplifier(choisies.geometry.to_numpy(), tolerance)
    proprietes = []
    for code, libelle in zip(choisies["code"].astype(str), carte_elements.colonne(choisies, "nom")):
        km = distances.get(code)
        detail = "" if km is None or pd.isna(km) else "<br>" + distance.format(km=nombre(float(km), 1))
        titre = carte_elements.echapper(libelle or code)
        proprietes.append({"h": f"<strong>{titre}</strong> ({carte_elements.echapper(code)}) : {statut}{detail}"})
    donnees = carte_elements.feature_collection(geometries, proprietes)
    return carte_elements.Couche(f"{nom} ({nombre(len(table))})", donnees, f"{{style: {style}}}", suite=_INFOBULLE)
