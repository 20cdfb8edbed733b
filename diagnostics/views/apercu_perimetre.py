"""A small outline drawing of a perimeter for the sidebar preview: plain SVG built from the reference
geometry (no map tiles, no third-party request, no user text inside)."""
from __future__ import annotations

import math

import shapely

from .. import territories


def svg_contour(t: territories.Territoire, largeur: int = 280, hauteur: int = 200) -> list[str]:
    """One SVG per projection zone of `t` (mainland and each overseas département drawn apart, each
    filling the frame), communes' union filled, in an equirectangular view scaled at the zone's latitude."""
    dessins = []
    for partie in territories.zones_perimetre(t).values() if t.niveau == "perimetre" else [t]:
        geom = shapely.simplify(territories.geometry(partie), 0.002)
        xmin, ymin, xmax, ymax = geom.bounds
        echelle_x = math.cos(math.radians((ymin + ymax) / 2))
        w, h = max((xmax - xmin) * echelle_x, 1e-6), max(ymax - ymin, 1e-6)
        k = min((largeur - 10) / w, (hauteur - 10) / h)
        chemins = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for anneau in (poly.exterior, *poly.interiors):
                points = " ".join(
                    f"{5 + (x - xmin) * echelle_x * k:.1f},{5 + (ymax - y) * k:.1f}" for x, y in anneau.coords
                )
                chemins.append(f"M{points}Z")
        dessins.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{largeur}" height="{hauteur}" viewBox="0 0 {largeur} {hauteur}">'
            f'<path d="{" ".join(chemins)}" fill="#cacafb" stroke="#000091" stroke-width="1" fill-rule="evenodd"/></svg>'
        )
    return dessins
