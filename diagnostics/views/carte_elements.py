"""The pieces of the dashboard's Leaflet maps, as final text: GeoJSON layers, the legend control, layers
kept in front, and the escaping and geometry helpers every map layer uses (`carte`, `carte_lieux`,
`carte_zonage`).

Every string that reaches the page goes through `echapper` (HTML) or `json_script` (inside
<script>): names, addresses and labels from data are text, never markup.
"""
from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import ElementAddToElement
from folium.template import Template

from . import assets

_PAS_DE_BORNES = (-5.5, 41.2, 9.8, 51.2)  # metropolitan France, when nothing gives bounds


@dataclass(frozen=True)
class Couche:
    """One GeoJSON layer as final JavaScript text: data, Leaflet options, code before and after."""

    nom: str
    donnees: str
    options_js: str
    prelude: str = ""
    suite: str = ""
    visible: bool = True  # shown when the map opens (the layer control switches it either way)


def sans_icones(m: folium.Map) -> None:
    """Drop the scripts and styles folium loads for its icon markers and HTML popups when the map has
    none: jQuery, Bootstrap, Font Awesome and awesome-markers are four more downloads, run one after
    the other before the map is drawn."""
    if any(isinstance(e, (folium.Icon, folium.DivIcon, folium.Popup)) for e in assets.elements(m)):
        return
    m.default_js = [(nom, url) for nom, url in m.default_js if nom == "leaflet"]
    m.default_css = [(nom, url) for nom, url in m.default_css if nom == "leaflet_css"]


class CoucheGeoJson(folium.map.Layer):
    """A `Couche` on a folium map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            {{ this.couche.prelude }}
            return L.geoJson({{ this.couche.donnees }}, {{ this.couche.options_js }}){{ this.couche.suite }};
        })();
        {% endmacro %}
        """
    )

    def __init__(self, couche: Couche):
        # Leaflet's layers control writes the name as HTML.
        super().__init__(name=echapper(couche.nom), overlay=True, control=True, show=couche.visible)
        self._name = "GeoJson"
        self.couche = couche

    def render(self, **kwargs):
        # branca makes each element's script a new Jinja template before adding it to the page, which
        # lexes the text once more: 0.3 s for the 3 MB of a national map. This script is final text.
        if self.show:
            self.add_child(ElementAddToElement(self.get_name(), self._parent.get_name()), name=self.get_name() + "_add")
        self.get_root().script.add_child(_Texte(self._template.module.script(self, kwargs)), name=self.get_name())
        for enfant in self._children.values():
            enfant.render(**kwargs)


class AuPremierPlan(MacroElement):
    """One canvas holds every layer; whichever was (re)added last is on top and catches clicks, so
    these layers (the places last) are brought back to the front whenever a layer is switched on.
    folium's `keep_in_front` does the same but needs jQuery, which nothing else here loads."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (carte) {
            var devant = [{{ this.noms|join(", ") }}];
            function auPremierPlan() {
                devant.forEach(function (couche) { if (carte.hasLayer(couche)) { couche.bringToFront(); } });
            }
            carte.on("overlayadd", auPremierPlan);
            auPremierPlan();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, couches):
        super().__init__()
        self._name = "AuPremierPlan"
        self.couches = list(couches)

    @property
    def noms(self) -> list[str]:
        return [couche.get_name() for couche in self.couches]


class _Texte(Element):
    """Text written into the page as it is."""

    def __init__(self, texte: str):
        super().__init__()
        self.texte = texte

    def render(self, **kwargs) -> str:
        return self.texte


class Legende(MacroElement):
    """Legend as a Leaflet control; its HTML is escaped when built, then passed as a JSON string."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
            .carte-legende { background: rgba(255,255,255,.92); padding: 6px 9px; font: 12px/1.35 sans-serif;
                border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,.3); max-height: 45vh; overflow-y: auto; max-width: 260px; }
            .carte-legende h4 { margin: 4px 0 2px; font-size: 12px; }
            .carte-legende i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -2px; }
            .carte-legende i.rond { border-radius: 50%; }
            .carte-legende i.trait { border: 2px dashed #000; width: 10px; height: 10px; }
            .carte-legende p { margin: 3px 0; color: #444; }
            .carte-lieu { font: 13px/1.4 sans-serif; }
            .carte-lieu .titre { color: #555; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "carte-legende");
            // A region reachable with Tab: a long legend scrolls, and keyboard users must be able to scroll it.
            div.setAttribute("role", "region");
            div.setAttribute("aria-label", "Légende de la carte");
            div.tabIndex = 0;
            div.innerHTML = {{ this.html_json }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "Legende"
        self.sections: list[str] = []

    @property
    def html_json(self) -> str:
        return json_script("".join(self.sections))

    def section(self, titre: str, lignes: list[tuple[str, str]], notes: Iterable[str] = ()) -> None:
        """Add a titled block; `lignes` are (swatch HTML, label) with labels not yet escaped."""
        corps = "".join(f"<div>{pastille}{echapper(libelle)}</div>" for pastille, libelle in lignes)
        corps += "".join(f"<p>{echapper(note)}</p>" for note in notes)
        self.sections.append(f"<h4>{echapper(titre)}</h4>{corps}")


def ajouter_controles(m: folium.Map) -> None:
    enfants = list(m._children.values())
    if not any(isinstance(e, folium.plugins.Fullscreen) for e in enfants):
        folium.plugins.Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    if not any(isinstance(e, folium.LayerControl) for e in enfants):
        folium.LayerControl(collapsed=True).add_to(m)


def en_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        return frame.to_crs(4326)
    return frame


def geometrie(contour):
    """The outline as one shapely geometry in WGS84 (None when absent or empty)."""
    if contour is None:
        return None
    if isinstance(contour, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if contour.crs is not None and contour.crs.to_epsg() != 4326:
            contour = contour.to_crs(4326)
        # The outline's parts form a coverage (communes, départements): their coverage union is
        # exact and ten times faster than a general union.
        contour = shapely.coverage_union_all(contour.geometry.to_numpy()) if len(contour) else None
    if contour is None or contour.is_empty:
        return None
    return contour


def bornes(contour, communes: gpd.GeoDataFrame, lieux: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    candidats = []
    if contour is not None:
        candidats.append(contour.bounds)
    if len(communes):
        candidats.append(tuple(communes.total_bounds))
    if lieux is not None and len(lieux):
        x, y, ok = coordonnees(en_wgs84(lieux).geometry)
        if ok.any():
            candidats.append((x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max()))
    for bornes in candidats:
        if all(math.isfinite(b) for b in bornes):
            return tuple(float(b) for b in bornes)
    return _PAS_DE_BORNES


def coordonnees(geometries: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y of the points; the mask is False for missing, empty or non-point geometries."""
    valeurs = geometries.to_numpy()
    points = (shapely.get_type_id(valeurs) == 0) & ~shapely.is_empty(valeurs)
    x = np.full(len(valeurs), np.nan)
    y = np.full(len(valeurs), np.nan)
    x[points] = shapely.get_x(valeurs[points])
    y[points] = shapely.get_y(valeurs[points])
    return x, y, points & np.isfinite(x) & np.isfinite(y)


def simplifier(geometries: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons to the map's scale, keeping shared borders shared; round to 5 decimals (~1 m)."""
    geometries = np.asarray(geometries, dtype=object)
    polygones = np.isin(shapely.get_type_id(geometries), (3, 6)) & ~shapely.is_empty(geometries)
    sortie = np.array(geometries, dtype=object)
    if polygones.any():
        try:
            sortie[polygones] = shapely.coverage_simplify(geometries[polygones], tolerance)
        except shapely.errors.GEOSException:
            # Not a clean coverage (overlapping or invalid polygons): simplify each on its own.
            sortie[polygones] = shapely.simplify(geometries[polygones], tolerance, preserve_topology=True)
    present = ~shapely.is_missing(sortie)
    sortie[present] = shapely.transform(sortie[present], lambda xy: np.round(xy, 5))
    return sortie


def feature_collection(geometries: np.ndarray, proprietes: list[dict]) -> str:
    """Compact GeoJSON text, safe inside <script>; features without geometry are left out."""
    textes = shapely.to_geojson(geometries)
    morceaux = [
        f'{{"type":"Feature","geometry":{texte},"properties":{json_script(props)}}}'
        for texte, props in zip(textes, proprietes)
        if texte is not None
    ]
    return _echapper_script('{"type":"FeatureCollection","features":[' + ",".join(morceaux) + "]}")


def json_script(valeur) -> str:
    """Compact JSON that cannot close the <script> element it is written into."""
    return _echapper_script(json.dumps(valeur, ensure_ascii=False, separators=(",", ":")))


def _echapper_script(texte: str) -> str:
    """Make JSON text inert in a <script> element and in the Jinja pass folium makes over its output.

    `{{`, `{%` and `{#` never occur in JSON's own syntax, only inside strings, where the escaped
    brace decodes back to the same text.
    """
    for avant, apres in _ECHAPPEMENTS_SCRIPT:
        texte = texte.replace(avant, apres)
    return texte


_ECHAPPEMENTS_SCRIPT = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
    ("{{", "{\\u007b"),
    ("{%", "{\\u0025"),
    ("{#", "{\\u0023"),
)


def echapper(texte: str) -> str:
    """HTML-escape text shown in a popup, tooltip or legend (quotes only matter in attributes)."""
    return html.escape(texte, quote=False)


_ESPACE = re.compile(r"\s")


def est_lien(url: str) -> bool:
    try:
        parties = urlsplit(url)
    except ValueError:
        return False
    return parties.scheme in ("http", "https") and bool(parties.netloc) and not _ESPACE.search(url)


def colonne(frame: pd.DataFrame, colonne: str) -> pd.Series:
    """A text column, stripped, "" where missing; other values (a number in an odd frame) as text."""
    if colonne not in frame:
        return pd.Series("", index=frame.index, dtype="str")
    valeurs = frame[colonne]
    if not isinstance(valeurs.dtype, pd.StringDtype):
        valeurs = valeurs.map(_texte)
    return valeurs.fillna("").astype("str").str.strip()


def _texte(valeur) -> str:
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)):
        return ""
    if isinstance(valeur, float) and valeur.is_integer():
        return str(int(valeur))  # a code read as a number: 29200.0 → 29200
    return valeur if isinstance(valeur, str) else str(valeur)


def echapper_colonne(valeurs: pd.Series) -> pd.Series:
    """`echapper` on a whole column."""
    return valeurs.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False)


def pastille(couleur: str, forme: str = "", opacite: float = 1) -> str:
    return f'<i class="{forme}" style="background:{couleur};opacity:{opacite}"></i>'
