"""Static map of a territory for reports (PNG, geopandas + matplotlib, no tiles, works offline):
communes coloured by distance to the nearest place, white zones hatched in red, places as dots."""
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
from ..views.format import nombre  # noqa: E402

# Distance classes below the white-zone radius: light (near) to dark (far) blues.
BORNES_KM = (2.0, 5.0)
BLEUS = ("#E3E3FD", "#A5A5F0", "#6A6AF4")
ROUGE = "#C9191E"
COULEUR_LIEU = "#161616"
SANS_DONNEE = "#CECECE"


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
    largeur_px: int = 1600,
    hauteur_px: int = 1100,
    legende_source: str = "",
) -> bytes:
    """The territory's map as PNG bytes.

    Parameters
    ----------
    territoire : a Territoire.
    table_communes : per-commune indicators (`indicators.par_commune.table_communes`: code, distance_km).
    lieux : places to draw (those outside the territory's frame are drawn too, as they count); None for none.
    rayon_km : white-zone radius (distance strictly above it).
    legende_source : source line written at the bottom of the image.

    For France the overseas départements are left out of the drawing (said under the map).
    """
    communes = territories.communes_frame(territoire)[["code", "zone", "geometry"]]
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

    dpi = 100
    fig = Figure(figsize=(largeur_px / dpi, hauteur_px / dpi), dpi=dpi)
    ax = fig.add_axes((0.01, 0.06, 0.74, 0.92))
    ax.set_axis_off()
    ax.set_aspect("equal")
    couleurs = [*BLEUS[-(len(libelles) - 1):], ROUGE]
    fines = len(communes) > 3000  # thousands of communes: borders would turn the map grey
    for i, couleur in enumerate(couleurs):
        part = communes[communes["classe"] == i]
        if len(part):
            blanche = i == len(couleurs) - 1
            part.plot(
                ax=ax, color="#FBE9E9" if blanche else couleur, edgecolor=ROUGE if blanche else "white",
                linewidth=0.1 if fines else 0.4, hatch=None if fines or not blanche else "///",
            )
            if blanche and fines:
                part.plot(ax=ax, color=ROUGE, linewidth=0)
    manquantes = communes[communes["classe"] == -1]
    if len(manquantes):
        manquantes.plot(ax=ax, color=SANS_DONNEE, edgecolor="white", linewidth=0.3)
    contour = gpd.GeoSeries([territories.geometry(territoire)], crs="EPSG:4326").to_crs(crs)
    if territoire.niveau != "france":
        contour.boundary.plot(ax=ax, color="#161616", linewidth=1.2)
    xmin, ymin, xmax, ymax = communes.total_bounds
    nb_points = _points(ax, lieux, crs, (xmin, ymin, xmax, ymax), len(communes))
    marge = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set_xlim(xmin - marge, xmax + marge)
    ax.set_ylim(ymin - marge, ymax + marge)

    poignees = [Patch(facecolor=c, edgecolor="#999999", label=l) for c, l in zip(couleurs[:-1], libelles)]
    poignees.append(Patch(facecolor="#FBE9E9", edgecolor=ROUGE, hatch="///", label=libelles[-1]))
    if len(manquantes):
        poignees.append(Patch(facecolor=SANS_DONNEE, label="distance inconnue"))
    poignees.append(
        Line2D([], [], marker="o", linestyle="", color=COULEUR_LIEU, markersize=5,
               label=f"lieu d'inclusion numérique ({nombre(nb_points)} sur la carte)")
    )
    fig.legend(
        handles=poignees, loc="upper left", bbox_to_anchor=(0.75, 0.95), frameon=False, fontsize=11,
        title="Distance au lieu le plus proche\n(depuis le centre de la commune)", title_fontsize=11,
        alignment="left",
    )
    pied = " ".join(t for t in (legende_source, note) if t)
    if pied:
        fig.text(0.01, 0.015, pied, fontsize=10, color="#555555", wrap=True)
    tampon = io.BytesIO()
    fig.savefig(tampon, format="png", dpi=dpi, facecolor="white")
    return tampon.getvalue()


def _points(ax, lieux, crs: int, bornes, nb_communes: int) -> int:
    """Draw the places inside the map's frame; returns how many were drawn."""
    if lieux is None or not len(lieux):
        return 0
    lon, lat = coordonnees(lieux)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return 0
    points = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs="EPSG:4326").to_crs(crs)
    x, y = points.x.to_numpy(), points.y.to_numpy()
    xmin, ymin, xmax, ymax = bornes
    dedans = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    taille = 4 if nb_communes > 3000 else 14
    ax.scatter(x[dedans], y[dedans], s=taille, c=COULEUR_LIEU, edgecolors="white", linewidths=0.4, zorder=5)
    return int(dedans.sum())


def _km(x: float) -> str:
    return f"{nombre(x, 0 if float(x).is_integer() else 1)}\u202fkm" if math.isfinite(x) else "—"
