"""Static map of a territory for reports (PNG, geopandas + matplotlib, no tiles, works offline):
communes coloured by distance to the nearest place, white zones hatched in red, places as symbols
coloured by dispositif (the dashboard's palette), the main communes named.

The figure is drawn at the physical size it is placed at (inches), so matplotlib's points are the
points printed or projected: a legend set at 12 pt reads 12 pt on the slide.
"""
from __future__ import annotations

import io
import math

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display: reports are built on servers and in the CLI

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .. import territories  # noqa: E402
from ..indicators.distances import coordonnees  # noqa: E402
from ..places import dans_territoire  # noqa: E402
from ..views.carte import COULEUR_MANQUANTE, COULEURS_QUANTILES  # noqa: E402
from ..views import carte_lieux  # noqa: E402
from ..views.carte_lieux import AUTRE, DISPOSITIFS  # noqa: E402
from ..views.format import nombre  # noqa: E402
from ..views.graphiques_couverture import ROUGE  # noqa: E402  (white zones: the dashboard's red)
from matplotlib import patheffects  # noqa: E402

# Distance classes below the white-zone radius: the dashboard's sequential palette (ColorBrewer YlGnBu,
# colour-blind safe), its three lightest classes so that the places' symbols stand out on them.
BORNES_KM = (2.0, 5.0)
CLAIRS = COULEURS_QUANTILES[:3]
FOND_BLANCHE = "#FBE9E9"
SANS_DONNEE = COULEUR_MANQUANTE
POLICE_PT = 12  # legend, names and notes; the slide's minimum
NB_NOMS = 10  # communes named on the map, the most populated first


def classes_distance(distance_km: pd.Series, rayon_km: float) -> tuple[pd.Series, list[str]]:
    """Class index of each commune's distance (0 nearest … last = white zone beyond `rayon_km`, -1 missing)
    and the French label of each class."""
    bornes = [b for b in BORNES_KM if b < rayon_km] + [float(rayon_km)]
    d = pd.to_numeric(distance_km, errors="coerce").to_numpy(dtype=float)
    classe = np.searchsorted(np.asarray(bornes), d, side="left")  # d == borne falls in the lower class
    classe = np.where(np.isnan(d), -1, classe)
    libelles = []
    bas = 0.0
    for b in bornes:
        libelles.append(f"{_km(bas)} à {_km(b)}" if bas else f"{_km(b)} ou moins")
        bas = b
    libelles.append(f"plus de {_km(rayon_km)} : zone blanche")
    return pd.Series(classe, index=distance_km.index), libelles


def carte_png(
    territoire,
    table_communes: pd.DataFrame,
    lieux: gpd.GeoDataFrame | None,
    *,
    rayon_km: float = 10.0,
    taille_pouces: tuple[float, float] = (12.3, 5.6),
    dpi: int = 150,
    legende_source: str = "",
    police_pt: float = POLICE_PT,
) -> bytes:
    """The territory's map as PNG bytes, drawn at `taille_pouces` (place it at that size).

    Parameters
    ----------
    territoire : a Territoire.
    table_communes : per-commune indicators (`indicators.par_commune.table_communes`: code, distance_km).
    lieux : places to draw (those outside the territory's frame are drawn too, as they count); None for none.
    rayon_km : white-zone radius (distance strictly above it).
    legende_source : source line written at the bottom of the image.
    police_pt : size of every text of the map (legend, commune names, notes).

    For France the overseas départements are left out of the drawing (said under the map).
    """
    communes, classe, libelles, note, crs = _communes_classees(territoire, table_communes, rayon_km)
    largeur, hauteur = taille_pouces
    fig = Figure(figsize=(largeur, hauteur), dpi=dpi)
    part_legende = min(0.36, 4.3 / largeur)  # the legend column: about 4.3 in, whatever the width
    # Room at the bottom for the source line, wrapped on two lines when long.
    lignes_pied = 2 if len(legende_source) + len(note) > largeur * 72 / (police_pt * 0.55) else 1
    bas = (police_pt * (1.3 * lignes_pied + 0.6) / 72) / hauteur if legende_source or note else 0.01
    # The map as wide as its shape asks at full height (at most what the legend leaves), the legend
    # right beside it: no blank band between them.
    xmin, ymin, xmax, ymax = communes.total_bounds
    forme = (xmax - xmin + 1.0) / (ymax - ymin + 1.0)
    largeur_carte = min(1 - part_legende - 0.01, forme * (0.99 - bas) * hauteur / largeur)
    ax = fig.add_axes((0.005, bas, largeur_carte, 0.99 - bas))
    couleurs = _dessiner_communes(ax, territoire, communes, classe, libelles)
    comptes, voisins = _points(ax, lieux, crs, communes.total_bounds, len(communes), territoire=territoire)
    _noms(ax, territoire, communes, police_pt, pt_par_unite=largeur_carte * largeur * 72 / max(xmax - xmin, 1.0))
    part_legende = 1 - largeur_carte - 0.02

    poignees = [Patch(facecolor=c, edgecolor="#999999", label=l) for c, l in zip(couleurs[:-1], libelles)]
    poignees.append(Patch(facecolor=FOND_BLANCHE, edgecolor=ROUGE, hatch="///", label=libelles[-1]))
    if (communes["classe"] == -1).any():
        poignees.append(Patch(facecolor=SANS_DONNEE, label="distance inconnue"))
    for (libelle, couleur), n in zip([*DISPOSITIFS, AUTRE], comptes):
        if n:
            poignees.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=couleur, markeredgecolor="#161616",
                                   markersize=police_pt * 0.8, label=f"{libelle} ({nombre(n)})"))
    if voisins:
        poignees.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=AUTRE[1], markeredgecolor="#161616",
                               alpha=0.35, markersize=police_pt * 0.6, label=f"lieux voisins, estompés ({nombre(voisins)})"))
    if not sum(comptes):
        poignees.append(Line2D([], [], linestyle="", label="aucun lieu sur la carte"))
    fig.legend(
        handles=poignees, loc="upper left", bbox_to_anchor=(1 - part_legende, 0.98), frameon=False,
        fontsize=police_pt, title="Distance au lieu le plus proche\n(depuis le centre de la commune)\net lieux par dispositif",
        title_fontsize=police_pt, alignment="left", borderaxespad=0, handlelength=1.4,
    )
    pied = " ".join(t for t in (legende_source, note) if t)
    if pied:
        fig.text(0.005, 0.008, pied, fontsize=police_pt, color="#444444", wrap=True, va="bottom")
    tampon = io.BytesIO()
    fig.savefig(tampon, format="png", dpi=dpi, facecolor="white")
    return tampon.getvalue()


def miniature_png(territoire, table_communes: pd.DataFrame, lieux: gpd.GeoDataFrame | None, *,
                  rayon_km: float = 10.0, taille_pouces: tuple[float, float] = (4.0, 4.0), dpi: int = 150) -> bytes:
    """The same map in miniature for the cover: no legend, no names (the cover says what it shows)."""
    communes, classe, libelles, _, crs = _communes_classees(territoire, table_communes, rayon_km)
    fig = Figure(figsize=taille_pouces, dpi=dpi)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    _dessiner_communes(ax, territoire, communes, classe, libelles)
    _points(ax, lieux, crs, communes.total_bounds, len(communes), petit=True, territoire=territoire)
    tampon = io.BytesIO()
    fig.savefig(tampon, format="png", dpi=dpi, facecolor="white", transparent=False)
    return tampon.getvalue()


def _communes_classees(territoire, table_communes: pd.DataFrame, rayon_km: float):
    communes = territories.communes_frame(territoire)[["code", "nom", "population", "zone", "geometry"]]
    note = ""
    if territoire.niveau == "france":
        communes = communes[communes["zone"] == "metro"]
        note = "Départements d'outre-mer non représentés sur cette carte."
    distances = pd.Series(
        pd.to_numeric(table_communes["distance_km"], errors="coerce").to_numpy(dtype=float),
        index=table_communes["code"].astype(str).to_numpy(),
    )
    distance = distances.reindex(communes["code"].astype(str).to_numpy())
    classe, libelles = classes_distance(distance, rayon_km)
    crs = territories.projected_crs(territoire)
    communes = communes.assign(classe=classe.to_numpy()).to_crs(crs)
    return communes, classe, libelles, note, crs


def _dessiner_communes(ax, territoire, communes: gpd.GeoDataFrame, classe, libelles) -> list[str]:
    ax.set_axis_off()
    ax.set_aspect("equal")
    couleurs = [*CLAIRS[: len(libelles) - 1], ROUGE]
    fines = len(communes) > 3000  # thousands of communes: borders would turn the map grey
    for i, couleur in enumerate(couleurs):
        part = communes[communes["classe"] == i]
        if len(part):
            blanche = i == len(couleurs) - 1
            part.plot(
                ax=ax, color=FOND_BLANCHE if blanche else couleur, edgecolor=ROUGE if blanche else "white",
                linewidth=0.1 if fines else 0.5, hatch=None if fines or not blanche else "///",
            )
            if blanche and fines:
                part.plot(ax=ax, color=ROUGE, linewidth=0)
    manquantes = communes[communes["classe"] == -1]
    if len(manquantes):
        manquantes.plot(ax=ax, color=SANS_DONNEE, edgecolor="white", linewidth=0.3)
    if territoire.niveau != "france":
        contour = gpd.GeoSeries([territories.geometry(territoire)], crs="EPSG:4326").to_crs(communes.crs)
        contour.boundary.plot(ax=ax, color="#161616", linewidth=1.4)
    xmin, ymin, xmax, ymax = communes.total_bounds
    marge = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - marge, xmax + marge)
    ax.set_ylim(ymin - marge, ymax + marge)
    return couleurs


def _points(ax, lieux, crs: int, bornes, nb_communes: int, *, petit: bool = False, territoire=None) -> tuple[list[int], int]:
    """Draw the places inside the map's frame, one colour per dispositif, the neighbours' faded (as on the
    dashboard); returns the count of the territory's places drawn in each category (DISPOSITIFS order,
    then "autre"), and how many neighbours' places were drawn."""
    comptes = [0] * (len(DISPOSITIFS) + 1)
    if lieux is None or not len(lieux):
        return comptes, 0
    voisins = np.zeros(len(lieux), dtype=bool)
    if territoire is not None and territoire.niveau != "france":
        voisins = ~np.asarray(dans_territoire(lieux, territoire), dtype=bool)
    lon, lat = coordonnees(lieux)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return comptes, 0
    points = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs="EPSG:4326").to_crs(crs)
    x, y = points.x.to_numpy(), points.y.to_numpy()
    xmin, ymin, xmax, ymax = bornes
    dedans = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    colonne = lieux["dispositif_programmes_nationaux"] if "dispositif_programmes_nationaux" in lieux else pd.Series("", index=lieux.index)
    categories = carte_lieux.categories(colonne[ok])
    voisins = voisins[ok]
    n = int(dedans.sum())
    # Symbol area in pt²: big enough to see two places on an EPCI, small enough not to bury a département.
    taille = 12 if n > 3000 else 26 if n > 500 else 110
    if petit:
        taille /= 3
    couleurs = [c for _, c in DISPOSITIFS] + [AUTRE[1]]
    for k in range(len(couleurs)):  # "autre" first, national networks on top
        k = len(couleurs) - 1 - k
        for voisin in (True, False):
            choix = dedans & (categories == k) & (voisins == voisin)
            if not voisin:
                comptes[k] = int(choix.sum())
            if choix.any():
                ax.scatter(x[choix], y[choix], s=taille * (0.6 if voisin else 1), c=couleurs[k], edgecolors="#161616",
                           linewidths=0.4 if taille < 30 else 0.8, alpha=0.35 if voisin else 1, zorder=4 if voisin else 5)
    return comptes, int((dedans & voisins).sum())


def _noms(ax, territoire, communes: gpd.GeoDataFrame, police_pt: float, pt_par_unite: float) -> None:
    """The most populated communes named at their interior point, with a white halo to read on any fill;
    a name whose box would overlap a larger commune's name is left out (`pt_par_unite`: points of the
    printed map per projected metre, to size the names' boxes)."""
    if territoire.niveau == "commune":
        principales = communes
    else:
        principales = communes.sort_values("population", ascending=False)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    hauteur = police_pt * 1.3 / pt_par_unite
    boites: list[tuple[float, float, float, float]] = []
    for r in principales.itertuples():
        if len(boites) >= NB_NOMS:
            break
        point = r.geometry.representative_point()
        # The name's box, from the point to the right (about 0.6 em a character) and up.
        boite = (point.x, point.y, point.x + (len(str(r.nom)) * 0.6 * police_pt + 8) / pt_par_unite, point.y + hauteur)
        if any(boite[0] < b[2] and b[0] < boite[2] and boite[1] < b[3] and b[1] < boite[3] for b in boites):
            continue
        boites.append(boite)
        ax.plot(point.x, point.y, marker="s", markersize=3, color="#161616", zorder=6)
        ax.annotate(str(r.nom), (point.x, point.y), xytext=(4, 3), textcoords="offset points", fontsize=police_pt,
                    color="#161616", zorder=7, path_effects=halo)


def _km(x: float) -> str:
    return f"{nombre(x, 0 if float(x).is_integer() else 1)}\u202fkm" if math.isfinite(x) else "—"
