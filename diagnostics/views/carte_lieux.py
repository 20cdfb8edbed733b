"""The places layer of the dashboard's maps: one compact row per place, turned into GeoJSON in the
browser, coloured by dispositif, with its popup and its legend block.
"""
from __future__ import annotations

import functools
import html
import re
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd

from ..standard.fields import split_list
from . import carte_elements

# Dispositif colours (Okabe–Ito, readable with the common colour-vision deficiencies). A place with
# several dispositifs takes the first of this order; everything else is "autre", in dark grey so the
# three national networks stand out.
DISPOSITIFS: tuple[tuple[str, str], ...] = (
    ("France Services", "#0072B2"),
    ("Conseillers numériques", "#E69F00"),
    ("Aidants Connect", "#009E73"),
)


AUTRE = ("Autre lieu", "#595959")


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


def couche_lieux(lieux: gpd.GeoDataFrame | None, nom: str, *, voisins: bool, legende: carte_elements.Legende) -> carte_elements.Couche:
    vocabulaire: dict[str, int] = {}
    lignes: list[list] = []
    dispositifs = np.array([], dtype=int)
    sans_position = 0
    if lieux is not None and len(lieux):
        lieux = carte_elements.en_wgs84(lieux)
        x, y, positionnes = carte_elements.coordonnees(lieux.geometry)
        sans_position = int((~positionnes).sum())
        places = lieux.loc[positionnes]
        dispositifs = categories(carte_elements.colonne(places, "dispositif_programmes_nationaux"))
        colonnes = _champs_lieux(places, dispositifs, vocabulaire)
        for xi, yi, *champs in zip(np.round(x[positionnes], 5).tolist(), np.round(y[positionnes], 5).tolist(), *colonnes):
            while champs[-1] == "" or champs[-1] == []:  # k and n are never empty
                champs.pop()
            lignes.append([xi, yi, *champs])
    couleurs = [c for _, c in DISPOSITIFS] + [AUTRE[1]]
    # Thousands of points at national zoom merge into a blanket: smaller dots keep the map readable.
    rayon = 6 if len(lignes) < 1000 else 4 if len(lignes) < 5000 else 3
    opacite, rayon = (0.35, rayon - 1) if voisins else (0.9, rayon)
    prelude = (
        f"var V = {carte_elements.json_script(list(vocabulaire))}, C = {carte_elements.json_script(couleurs)}, "
        f"CHAMPS = {carte_elements.json_script(_CHAMPS_LIEU)},\n LIGNES = {carte_elements.json_script(lignes)};\n{_JS_LIEUX}"
    )
    options = (
        "{pointToLayer: function (f, ll) { return L.circleMarker(ll, {"
        f"radius: {rayon}, color: '#ffffff', weight: {1 if rayon > 3 else 0.5}, opacity: {opacite}, fillOpacity: {opacite}, "
        "fillColor: C[f.properties.k]}); }}"
    )
    suite = ".bindPopup(popup, {maxWidth: 340}).bindTooltip(function (couche) { return couche.feature.properties.n; })"
    _legende_lieux(legende, nom, Counter(dispositifs.tolist()), sans_position, voisins)
    return carte_elements.Couche(nom, "versGeoJson(LIGNES)", options, prelude, suite)


def categories(dispositifs: pd.Series) -> np.ndarray:
    """Index in DISPOSITIFS of the first dispositif a place belongs to, len(DISPOSITIFS) for "autre"
    (the rule of every map: the dashboard's, the report's)."""
    valeurs = dispositifs.fillna("").astype(str)
    sortie = np.full(len(valeurs), len(DISPOSITIFS))
    for k in reversed(range(len(DISPOSITIFS))):
        motif = rf"(?:^|\|){re.escape(DISPOSITIFS[k][0])}(?:\||$)"
        sortie[valeurs.str.contains(motif, regex=True).to_numpy(dtype=bool)] = k
    return sortie


def _champs_lieux(places: pd.DataFrame, categories: np.ndarray, vocabulaire: dict[str, int]) -> list[list]:
    """The columns of `_CHAMPS_LIEU`, computed column by column (a loop per place is 3× slower)."""
    texte = functools.partial(carte_elements.colonne, places)
    adresse = texte("adresse")
    complement = texte("complement_adresse")
    adresse = adresse.where(complement == "", adresse + ", " + complement).str.strip(", ")
    commune = (texte("code_postal") + " " + texte("commune")).str.strip()
    sites = [split_list(cellule) for cellule in texte("site_web").tolist()]
    approx = places["position_approximative"].fillna(False).astype(bool) if "position_approximative" in places else pd.Series(False, index=places.index)
    return [
        categories.tolist(),
        carte_elements.echapper_colonne(texte("nom")).replace("", "(sans nom)").tolist(),
        carte_elements.echapper_colonne(adresse).tolist(),
        carte_elements.echapper_colonne(texte("telephone")).tolist(),
        carte_elements.echapper_colonne(texte("courriels").str.replace(r"\|+", ", ", regex=True).str.strip(", ")).tolist(),
        [[html.escape(site, quote=True) for site in liste if carte_elements.est_lien(site)] for liste in sites],
        [[carte_elements.echapper(site) for site in liste if not carte_elements.est_lien(site)] for liste in sites],
        [1 if approximative else "" for approximative in approx.tolist()],
        _indices(commune, vocabulaire),
        _indices(texte("horaires"), vocabulaire, lambda h: carte_elements.echapper(h).replace("; ", "<br>")),
        _indices(texte("date_maj"), vocabulaire),
        _indices(texte("source"), vocabulaire),
        _listes_indices(texte("services"), vocabulaire),
        _listes_indices(texte("dispositif_programmes_nationaux"), vocabulaire),
    ]


def _indices(valeurs: pd.Series, vocabulaire: dict[str, int], affichage=None) -> list:
    """Index in the vocabulary of each value, shown through `affichage` (HTML escaping); "" when empty."""
    codes, uniques = pd.factorize(valeurs)
    affichage = affichage or carte_elements.echapper
    table = [vocabulaire.setdefault(affichage(u), len(vocabulaire)) if u else "" for u in uniques]
    return [table[c] for c in codes]


def _listes_indices(valeurs: pd.Series, vocabulaire: dict[str, int]) -> list[list[int]]:
    table: dict[str, int] = {}
    sortie = []
    for cellule in valeurs.tolist():
        liste = []
        for valeur in split_list(cellule):
            if valeur not in table:
                table[valeur] = vocabulaire.setdefault(carte_elements.echapper(valeur), len(vocabulaire))
            liste.append(table[valeur])
        sortie.append(liste)
    return sortie


def _legende_lieux(legende: carte_elements.Legende, nom: str, categories: Counter, sans_position: int, voisins: bool) -> None:
    total = sum(categories.values())
    lignes = [
        (carte_elements.pastille(couleur, "rond", 0.35 if voisins else 1), f"{libelle} ({categories[k]})")
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
