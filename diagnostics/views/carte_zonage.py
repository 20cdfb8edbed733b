"""Priority-territory overlays of the territory map: QPV 2024 outlines and France Ruralités Revitalisation
communes, each a layer of the layer control (the FRR layer starts hidden: it would veil the choropleth).

`couches_zonage` returns the layer makers `preparer_carte(couches_sup=…)` calls with the map's tolerance
and legend. A missing zoning file gives no layer and a legend note naming it.
"""
from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np

from .. import zonage
from ..indicators import priorites
from .carte_elements import Couche, echapper, feature_collection, json_script, simplifier

COULEUR_QPV = "#8E3B8E"  # purple: apart from the YlGnBu choropleth, the dispositifs and white zones
COULEUR_FRR = "#A05A00"
NOM_QPV = "Quartiers prioritaires (QPV 2024, contours approximatifs)"
NOM_FRR = "Communes France Ruralités Revitalisation (2025)"


def couches_zonage(territoire, communes: gpd.GeoDataFrame | None) -> list[Callable]:
    """Layer makers for `territoire`: QPV outlines, and FRR communes among `communes` (the drawn commune
    polygons with a `code` column; None for a national map by département, which gets no FRR layer)."""
    return [
        lambda tolerance, legende: _couche_qpv(territoire, tolerance, legende),
        lambda tolerance, legende: _couche_frr(communes, tolerance, legende),
    ]


def _couche_qpv(territoire, tolerance: float, legende) -> Couche | None:
    try:
        qpv = priorites.qpv_du_territoire(territoire.codes_communes)
    except zonage.FichierAbsent as exc:
        legende.section("Quartiers prioritaires", [], [f"Couche indisponible : {exc.fichier} manquant."])
        return None
    if not len(qpv):
        legende.section("Quartiers prioritaires", [], ["Aucun QPV (2024) dans ce territoire."])
        return None
    # Each QPV alone (they are no coverage); a quarter of the communes' tolerance keeps small ones visible.
    geometries = simplifier(np.asarray(qpv.geometry.array), tolerance / 4)
    proprietes = [
        {"n": echapper(nom), "p": "non disponible" if pop is None or pop != pop else f"{int(pop):,}".replace(",", "\u202f")}
        for nom, pop in zip(qpv["lib_qp"].astype(str).tolist(), qpv["population"].astype(object).tolist())
    ]
    legende.section(
        "Quartiers prioritaires", [(_trait(COULEUR_QPV), f"QPV 2024 ({len(qpv)})")],
        ["Contours simplifiés : approximatifs près des limites. Population : compilation tierce."],
    )
    options = (f"{{style: {{color: {json_script(COULEUR_QPV)}, weight: 2, fillColor: {json_script(COULEUR_QPV)}, "
               "fillOpacity: 0.15}}")
    suite = (".bindTooltip(function (c) { var p = c.feature.properties;"
             " return '<strong>' + p.n + '</strong><br>QPV 2024 · population : ' + p.p; }, {sticky: true})")
    return Couche(NOM_QPV, feature_collection(geometries, proprietes), options, "", suite)


def _couche_frr(communes: gpd.GeoDataFrame | None, tolerance: float, legende) -> Couche | None:
    if communes is None or "code" not in communes or not len(communes):
        return None
    try:
        zone = priorites.est_frr(priorites.classement_frr(communes["code"].astype(str).to_numpy(dtype=object)))
    except zonage.FichierAbsent as exc:
        legende.section("France Ruralités Revitalisation", [], [f"Couche indisponible : {exc.fichier} manquant."])
        return None
    if communes.crs is not None and communes.crs.to_epsg() != 4326:
        communes = communes.to_crs(4326)
    legende.section(
        "France Ruralités Revitalisation",
        [(_trait(COULEUR_FRR, "dotted"), f"Communes classées ou bénéficiaires ({int(zone.sum())})")],
        ["Classement au 10 juillet 2025 ; couche à afficher dans le sélecteur de couches."],
    )
    geometries = simplifier(communes.geometry.to_numpy()[zone], tolerance)
    options = (f"{{interactive: false, style: {{color: {json_script(COULEUR_FRR)}, weight: 1.5, dashArray: '2 3', "
               f"fillColor: {json_script(COULEUR_FRR)}, fillOpacity: 0.25}}}}")
    return Couche(NOM_FRR, feature_collection(geometries, [{}] * int(zone.sum())), options, visible=False)


def _trait(couleur: str, style: str = "solid") -> str:
    return f'<i style="border: 2px {style} {couleur}; width: 10px; height: 10px"></i>'
