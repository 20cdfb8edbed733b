"""The territory map of the dashboard (folium): places by dispositif, a commune choropleth, white zones, outline.

Like geopandas' `explore()`, `carte_territoire` takes frames and keyword options and returns a
`folium.Map` (or draws on `m=`). It works offline: no tiles unless asked, assets served locally.
"""
from __future__ import annotations

import functools
import html
import json
import math
import re
from collections import Counter
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

from ..indicators import fragilite
from ..standard.fields import split_list
from . import assets

# Dispositif colours (Okabe–Ito, readable with the common colour-vision deficiencies). A place with
# several dispositifs takes the first of this order; everything else is "autre", in dark grey so the
# three national networks stand out.
DISPOSITIFS: tuple[tuple[str, str], ...] = (
    ("France Services", "#0072B2"),
    ("Conseillers numériques", "#E69F00"),
    ("Aidants Connect", "#009E73"),
)
AUTRE = ("Autre lieu", "#595959")

# The fragility index keeps the classes, labels and palette of indicators.fragilite (those of Mon
# Inclusion Numérique). Other indicators: quantile classes in ColorBrewer YlGnBu (colour-blind safe).
COULEURS_QUANTILES = ("#FFFFCC", "#A1DAB4", "#41B6C4", "#2C7FB8", "#253494")
COULEUR_MANQUANTE = fragilite.COULEUR_SANS_DONNEE
COULEUR_FOND = "#F4F4F0"  # commune fill when no indicator is drawn: the offline basemap

FONDS = ("aucun", "osm")
SCHEMAS = ("quantiles", "ifn")
_PAS_DE_BORNES = (-5.5, 41.2, 9.8, 51.2)  # metropolitan France, when nothing gives bounds


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
class Couche:
    """One GeoJSON layer as final JavaScript text: data, Leaflet options, code before and after."""

    nom: str
    donnees: str
    options_js: str
    prelude: str = ""
    suite: str = ""
    visible: bool = True  # shown when the map opens (the layer control switches it either way)


@dataclass(frozen=True)
class CartePreparee:
    """Everything a territory map draws, as text: computed once (the costly part, cacheable and
    shared), drawn into a new folium map by `dessiner_carte` at every page run."""

    couches: tuple[Couche, ...]  # bottom-up
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
    couches_sup : functions `(tolerance, legende) -> Couche | None` of extra overlays (e.g.
        `carte_zonage.couches_zonage`), drawn above the communes and below the places.
    """
    communes = _en_wgs84(communes)
    geometrie_contour = _geometrie(contour)
    bornes = _bornes(geometrie_contour, communes, lieux)
    tolerance = math.hypot(bornes[2] - bornes[0], bornes[3] - bornes[1]) / 3000
    # Built in legend order (places first), drawn bottom-up.
    legende = _Legende()
    devant = [_couche_lieux(lieux, "Lieux d'inclusion numérique", voisins=False, legende=legende)]
    if lieux_voisins is not None and len(lieux_voisins):
        devant.insert(0, _couche_lieux(lieux_voisins, "Lieux des territoires voisins", voisins=True, legende=legende))
    # Simplified once: the white-zone outlines then follow the drawn commune borders exactly.
    polygones = _simplifier(communes.geometry.to_numpy(), tolerance)
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
    couches = [_CoucheGeoJson(couche) for couche in preparee.couches]
    for couche in couches:
        couche.add_to(m)
    _AuPremierPlan(couches[len(couches) - preparee.devant:]).add_to(m)
    legende = _Legende()
    legende.sections.extend(preparee.legende)
    legende.add_to(m)
    m.fit_bounds([[sud, ouest], [nord, est]])
    _ajouter_controles(m)
    _sans_icones(m)
    return assets.localiser(m, assets_base)


def _sans_icones(m: folium.Map) -> None:
    """Drop the scripts and styles folium loads for its icon markers and HTML popups when the map has
    none: jQuery, Bootstrap, Font Awesome and awesome-markers are four more downloads, run one after
    the other before the map is drawn."""
    if any(isinstance(e, (folium.Icon, folium.DivIcon, folium.Popup)) for e in assets.elements(m)):
        return
    m.default_js = [(nom, url) for nom, url in m.default_js if nom == "leaflet"]
    m.default_css = [(nom, url) for nom, url in m.default_css if nom == "leaflet_css"]


class _CoucheGeoJson(folium.map.Layer):
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
        super().__init__(name=_echapper(couche.nom), overlay=True, control=True, show=couche.visible)
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


class _AuPremierPlan(MacroElement):
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


class _Legende(MacroElement):
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
        return _json_script("".join(self.sections))

    def section(self, titre: str, lignes: list[tuple[str, str]], notes: Iterable[str] = ()) -> None:
        """Add a titled block; `lignes` are (swatch HTML, label) with labels not yet escaped."""
        corps = "".join(f"<div>{pastille}{_echapper(libelle)}</div>" for pastille, libelle in lignes)
        corps += "".join(f"<p>{_echapper(note)}</p>" for note in notes)
        self.sections.append(f"<h4>{_echapper(titre)}</h4>{corps}")


# A place travels as one compact row and becomes a GeoJSON feature in the browser: keys and
# GeoJSON boilerplate would be a third of the page at 18,000 places. After x, y the row holds the
# fields of CHAMPS: k category (index in DISPOSITIFS, 3 = autre), n nom, a adresse, t téléphone,
# m courriels, w websites that are http(s) URLs (escaped for an attribute), x other websites (text),
# p 1 when the position is the commune's; then indexes into the vocabulary V, so that repeated
# values travel once: c code postal + commune, h horaires, d date_maj, o source, s services (list),
# g dispositifs (list). Every string is HTML-escaped in Python; empty trailing fields are left out.
_CHAMPS_LIEU = ("k", "n", "a", "t", "m", "w", "x", "p", "c", "h", "d", "o", "s", "g")

_JS_LIEUX = """
function versGeoJson(lignes) {
    return {type: 'FeatureCollection', features: lignes.map(function (l) {
        var p = {};
        CHAMPS.forEach(function (c, i) { p[c] = l[i + 2]; });
        return {type: 'Feature', geometry: {type: 'Point', coordinates: [l[0], l[1]]}, properties: p};
    })};
}
function mot(i) { return typeof i === 'number' ? V[i] : ''; }
function mots(ix) { return (ix || []).map(mot).join(', '); }
function popup(couche) {
    var p = couche.feature.properties, h = ['<div class="carte-lieu"><strong>' + p.n + '</strong>'];
    function ligne(titre, valeur) { if (valeur) { h.push('<br><span class="titre">' + titre + ' :</span> ' + valeur); } }
    var sites = (p.w || []).map(function (u) {
        return '<a href="' + u + '" target="_blank" rel="noopener noreferrer">' + u + '</a>';
    }).concat(p.x || []);
    ligne('Dispositifs', mots(p.g));
    ligne('Adresse', p.a);
    ligne('Commune', mot(p.c));
    ligne('Horaires', mot(p.h));
    ligne('Services', mots(p.s));
    ligne('Téléphone', p.t);
    ligne('Courriels', p.m);
    ligne('Site web', sites.join(', '));
    ligne('Mise à jour', mot(p.d));
    ligne('Source', mot(p.o));
    if (p.p) { h.push('<br><em>Position approximative (centre de la commune)</em>'); }
    return h.join('') + '</div>';
}
"""

def _couche_lieux(lieux: gpd.GeoDataFrame | None, nom: str, *, voisins: bool, legende: _Legende) -> Couche:
    vocabulaire: dict[str, int] = {}
    lignes: list[list] = []
    categories = np.array([], dtype=int)
    sans_position = 0
    if lieux is not None and len(lieux):
        lieux = _en_wgs84(lieux)
        x, y, positionnes = _coordonnees(lieux.geometry)
        sans_position = int((~positionnes).sum())
        places = lieux.loc[positionnes]
        categories = _categories(_colonne(places, "dispositif_programmes_nationaux"))
        colonnes = _champs_lieux(places, categories, vocabulaire)
        for xi, yi, *champs in zip(np.round(x[positionnes], 5).tolist(), np.round(y[positionnes], 5).tolist(), *colonnes):
            while champs[-1] == "" or champs[-1] == []:  # k and n are never empty
                champs.pop()
            lignes.append([xi, yi, *champs])
    couleurs = [c for _, c in DISPOSITIFS] + [AUTRE[1]]
    # Thousands of points at national zoom merge into a blanket: smaller dots keep the map readable.
    rayon = 6 if len(lignes) < 1000 else 4 if len(lignes) < 5000 else 3
    opacite, rayon = (0.35, rayon - 1) if voisins else (0.9, rayon)
    prelude = (
        f"var V = {_json_script(list(vocabulaire))}, C = {_json_script(couleurs)}, "
        f"CHAMPS = {_json_script(_CHAMPS_LIEU)},\n LIGNES = {_json_script(lignes)};\n{_JS_LIEUX}"
    )
    options = (
        "{pointToLayer: function (f, ll) { return L.circleMarker(ll, {"
        f"radius: {rayon}, color: '#ffffff', weight: {1 if rayon > 3 else 0.5}, opacity: {opacite}, fillOpacity: {opacite}, "
        "fillColor: C[f.properties.k]}); }}"
    )
    suite = ".bindPopup(popup, {maxWidth: 340}).bindTooltip(function (couche) { return couche.feature.properties.n; })"
    _legende_lieux(legende, nom, Counter(categories.tolist()), sans_position, voisins)
    return Couche(nom, "versGeoJson(LIGNES)", options, prelude, suite)


def _categories(dispositifs: pd.Series) -> np.ndarray:
    """Index in DISPOSITIFS of the first dispositif a place belongs to, len(DISPOSITIFS) for "autre"."""
    categories = np.full(len(dispositifs), len(DISPOSITIFS))
    for k in reversed(range(len(DISPOSITIFS))):
        motif = rf"(?:^|\|){re.escape(DISPOSITIFS[k][0])}(?:\||$)"
        categories[dispositifs.str.contains(motif, regex=True).to_numpy(dtype=bool)] = k
    return categories


def _champs_lieux(places: pd.DataFrame, categories: np.ndarray, vocabulaire: dict[str, int]) -> list[list]:
    """The columns of `_CHAMPS_LIEU`, computed column by column (a loop per place is 3× slower)."""
    texte = functools.partial(_colonne, places)
    adresse = texte("adresse")
    complement = texte("complement_adresse")
    adresse = adresse.where(complement == "", adresse + ", " + complement).str.strip(", ")
    commune = (texte("code_postal") + " " + texte("commune")).str.strip()
    sites = [split_list(cellule) for cellule in texte("site_web").tolist()]
    approx = places["position_approximative"].fillna(False).astype(bool) if "position_approximative" in places else pd.Series(False, index=places.index)
    return [
        categories.tolist(),
        _echapper_colonne(texte("nom")).replace("", "(sans nom)").tolist(),
        _echapper_colonne(adresse).tolist(),
        _echapper_colonne(texte("telephone")).tolist(),
        _echapper_colonne(texte("courriels").str.replace(r"\|+", ", ", regex=True).str.strip(", ")).tolist(),
        [[html.escape(site, quote=True) for site in liste if _est_lien(site)] for liste in sites],
        [[_echapper(site) for site in liste if not _est_lien(site)] for liste in sites],
        [1 if approximative else "" for approximative in approx.tolist()],
        _indices(commune, vocabulaire),
        _indices(texte("horaires"), vocabulaire, lambda h: _echapper(h).replace("; ", "<br>")),
        _indices(texte("date_maj"), vocabulaire),
        _indices(texte("source"), vocabulaire),
        _listes_indices(texte("services"), vocabulaire),
        _listes_indices(texte("dispositif_programmes_nationaux"), vocabulaire),
    ]


def _indices(valeurs: pd.Series, vocabulaire: dict[str, int], affichage=None) -> list:
    """Index in the vocabulary of each value, shown through `affichage` (HTML escaping); "" when empty."""
    codes, uniques = pd.factorize(valeurs)
    affichage = affichage or _echapper
    table = [vocabulaire.setdefault(affichage(u), len(vocabulaire)) if u else "" for u in uniques]
    return [table[c] for c in codes]


def _listes_indices(valeurs: pd.Series, vocabulaire: dict[str, int]) -> list[list[int]]:
    table: dict[str, int] = {}
    sortie = []
    for cellule in valeurs.tolist():
        liste = []
        for valeur in split_list(cellule):
            if valeur not in table:
                table[valeur] = vocabulaire.setdefault(_echapper(valeur), len(vocabulaire))
            liste.append(table[valeur])
        sortie.append(liste)
    return sortie


def _legende_lieux(legende: _Legende, nom: str, categories: Counter, sans_position: int, voisins: bool) -> None:
    total = sum(categories.values())
    lignes = [
        (_pastille(couleur, "rond", 0.35 if voisins else 1), f"{libelle} ({categories[k]})")
        for k, (libelle, couleur) in enumerate([*DISPOSITIFS, AUTRE])
        if categories[k] or not voisins
    ]
    notes = [] if total or voisins else ["Aucun lieu avec une position sur ce territoire."]
    if sans_position:
        if sans_position == 1:
            notes.append("1 lieu sans position ne figure pas sur la carte.")
        else:
            notes.append(f"{sans_position} lieux sans position ne figurent pas sur la carte.")
    legende.section(f"{nom} ({total})", lignes, notes)


def _couche_communes(
    communes: gpd.GeoDataFrame,
    polygones: np.ndarray,
    indicateur: str | None,
    libelle: str | None,
    schema: str,
    zones_blanches: Iterable[str] | None,
    legende: _Legende,
) -> Couche:
    if indicateur is not None and indicateur not in communes:
        raise ValueError(f"La colonne « {indicateur} » est absente du fond de carte : choisissez un indicateur calculé.")
    titre = libelle or indicateur or "Limites administratives"
    zones = set(_codes(zones_blanches))
    codes = communes["code"].astype(str).to_numpy() if "code" in communes else np.full(len(communes), "")
    noms = _colonne(communes, "nom").tolist()
    proprietes = [{"n": _echapper(noms[i]) or _echapper(codes[i])} for i in range(len(communes))]
    for i, code in enumerate(codes):
        if code in zones:
            proprietes[i]["z"] = 1
    if indicateur is None:
        prelude = f"var C = [], MANQUE = {_json_script(COULEUR_FOND)}, LIB = '';"
    else:
        classement = classer_indicateur(communes[indicateur], schema)
        brutes = communes[indicateur].to_numpy()
        for i, code_classe in enumerate(classement.codes):
            proprietes[i]["k"] = int(code_classe)
            proprietes[i]["v"] = _echapper(_valeur(brutes[i]))
        prelude = (
            f"var C = {_json_script(list(classement.couleurs))}, MANQUE = {_json_script(COULEUR_MANQUANTE)}, "
            f"LIB = {_json_script(_echapper(titre))};"
        )
        lignes = [(_pastille(c), lib) for c, lib in zip(classement.couleurs, classement.libelles)]
        manquantes = int((classement.codes < 0).sum())
        if manquantes:
            lignes.append((_pastille(COULEUR_MANQUANTE), f"Non renseigné ({manquantes})"))
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
    donnees = _feature_collection(polygones, proprietes)
    return Couche(titre, donnees, options, prelude, suite)


def _couche_zones_blanches(communes, polygones: np.ndarray, zones_blanches, legende: _Legende) -> Couche:
    codes = list(dict.fromkeys(_codes(zones_blanches)))
    connues = communes["code"].astype(str).isin(codes).to_numpy() if "code" in communes else np.zeros(len(communes), bool)
    absentes = len(set(codes) - set(communes["code"].astype(str))) if "code" in communes else len(codes)
    notes = []
    if absentes:
        notes.append(f"{absentes} code{'s' if absentes > 1 else ''} de commune absent{'s' if absentes > 1 else ''} du fond de carte.")
    legende.section("Zones blanches", [('<i class="trait"></i>', f"Communes en zone blanche ({int(connues.sum())})")], notes)
    donnees = _feature_collection(polygones[connues], [{}] * int(connues.sum()))
    options = "{interactive: false, style: {fill: false, color: '#000000', weight: 2.5, dashArray: '5 4'}}"
    return Couche("Zones blanches", donnees, options)


def _couche_contour(geometrie, tolerance: float) -> Couche:
    geometries = _simplifier(np.array([geometrie], dtype=object), tolerance)
    donnees = _feature_collection(geometries, [{}])
    options = "{interactive: false, style: {fill: false, color: '#1a1a1a', weight: 3}}"
    return Couche("Contour du territoire", donnees, options)


def _ajouter_controles(m: folium.Map) -> None:
    enfants = list(m._children.values())
    if not any(isinstance(e, folium.plugins.Fullscreen) for e in enfants):
        folium.plugins.Fullscreen(title="Plein écran", title_cancel="Quitter le plein écran").add_to(m)
    if not any(isinstance(e, folium.LayerControl) for e in enfants):
        folium.LayerControl(collapsed=True).add_to(m)


def _en_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        return frame.to_crs(4326)
    return frame


def _geometrie(contour):
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


def _bornes(contour, communes: gpd.GeoDataFrame, lieux: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    candidats = []
    if contour is not None:
        candidats.append(contour.bounds)
    if len(communes):
        candidats.append(tuple(communes.total_bounds))
    if lieux is not None and len(lieux):
        x, y, ok = _coordonnees(_en_wgs84(lieux).geometry)
        if ok.any():
            candidats.append((x[ok].min(), y[ok].min(), x[ok].max(), y[ok].max()))
    for bornes in candidats:
        if all(math.isfinite(b) for b in bornes):
            return tuple(float(b) for b in bornes)
    return _PAS_DE_BORNES


def _coordonnees(geometries: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y of the points; the mask is False for missing, empty or non-point geometries."""
    valeurs = geometries.to_numpy()
    points = (shapely.get_type_id(valeurs) == 0) & ~shapely.is_empty(valeurs)
    x = np.full(len(valeurs), np.nan)
    y = np.full(len(valeurs), np.nan)
    x[points] = shapely.get_x(valeurs[points])
    y[points] = shapely.get_y(valeurs[points])
    return x, y, points & np.isfinite(x) & np.isfinite(y)


def _simplifier(geometries: np.ndarray, tolerance: float) -> np.ndarray:
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


def _feature_collection(geometries: np.ndarray, proprietes: list[dict]) -> str:
    """Compact GeoJSON text, safe inside <script>; features without geometry are left out."""
    textes = shapely.to_geojson(geometries)
    morceaux = [
        f'{{"type":"Feature","geometry":{texte},"properties":{_json_script(props)}}}'
        for texte, props in zip(textes, proprietes)
        if texte is not None
    ]
    return _echapper_script('{"type":"FeatureCollection","features":[' + ",".join(morceaux) + "]}")


def _json_script(valeur) -> str:
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


def _echapper(texte: str) -> str:
    """HTML-escape text shown in a popup, tooltip or legend (quotes only matter in attributes)."""
    return html.escape(texte, quote=False)


_ESPACE = re.compile(r"\s")


def _est_lien(url: str) -> bool:
    try:
        parties = urlsplit(url)
    except ValueError:
        return False
    return parties.scheme in ("http", "https") and bool(parties.netloc) and not _ESPACE.search(url)


def _colonne(frame: pd.DataFrame, colonne: str) -> pd.Series:
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


def _echapper_colonne(valeurs: pd.Series) -> pd.Series:
    """`_echapper` on a whole column."""
    return valeurs.str.replace("&", "&amp;", regex=False).str.replace("<", "&lt;", regex=False).str.replace(">", "&gt;", regex=False)


def _codes(zones_blanches) -> list[str]:
    if zones_blanches is None:
        return []
    if isinstance(zones_blanches, pd.DataFrame):
        zones_blanches = zones_blanches["code"]
    return [str(code) for code in zones_blanches]


def _pastille(couleur: str, forme: str = "", opacite: float = 1) -> str:
    return f'<i class="{forme}" style="background:{couleur};opacity:{opacite}"></i>'


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
