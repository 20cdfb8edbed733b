"""Are a map's colours still told apart by a colour-blind reader? Deuteranopia simulated with the matrix of
Machado, Oliveira & Fernandes (2009) and colour differences measured with CIEDE2000 (Sharma et al. 2005).

Pure functions on "#rrggbb" strings; the checked palettes and their thresholds are in `PALETTES`.
"""
from __future__ import annotations

import math
from itertools import combinations

import numpy as np

# Machado et al. 2009, "A Physiologically-based Model for Simulation of Color Vision Deficiency",
# IEEE TVCG 15(6), table of matrices, deuteranomaly at severity 1.0 (= deuteranopia); applies to
# linear RGB.
DEUTERANOPIE = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
# sRGB (D65) → CIE XYZ, and the D65 white point.
_RGB_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
_BLANC_D65 = np.array([0.95047, 1.0, 1.08883])

# Differences below which two colours of a map are taken for the same one. About 2 units of CIEDE2000 is
# a just-noticeable difference side by side; small areas on a map, seen apart, need far more. Categories
# (one colour per dispositif) must differ clearly; the classes of an ordered scale must each differ from
# the next one (they are also told apart by their order and the legend).
SEUIL_CATEGORIES = 15.0
SEUIL_CLASSES_VOISINES = 8.0


def _lineaire(couleur: str) -> np.ndarray:
    canaux = np.array([int(couleur[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(canaux <= 0.04045, canaux / 12.92, ((canaux + 0.055) / 1.055) ** 2.4)


def _srgb(lineaire: np.ndarray) -> str:
    lineaire = np.clip(lineaire, 0.0, 1.0)
    canaux = np.where(lineaire <= 0.0031308, lineaire * 12.92, 1.055 * lineaire ** (1 / 2.4) - 0.055)
    return "#" + "".join(f"{int(round(c * 255)):02x}" for c in canaux)


def simuler_deuteranopie(couleur: str) -> str:
    """The colour as a reader with deuteranopia sees it (Machado 2009, severity 1), as "#rrggbb"."""
    return _srgb(DEUTERANOPIE @ _lineaire(couleur.lower()))


def lab(couleur: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""
    xyz = _RGB_XYZ @ _lineaire(couleur.lower()) / _BLANC_D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2]))


def ciede2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference of two L*a*b* colours (kL = kC = kH = 1), after Sharma et al. 2005."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_moyen = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_moyen**7 / (c_moyen**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dl, dc = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    dhh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lp, cp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp = (h1p + h2p) / 2
    else:
        hp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hp - 30))
        + 0.24 * math.cos(math.radians(2 * hp))
        + 0.32 * math.cos(math.radians(3 * hp + 6))
        - 0.20 * math.cos(math.radians(4 * hp - 63))
    )
    d_theta = 30 * math.exp(-(((hp - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cp**7 / (cp**7 + 25**7))
    sl = 1 + 0.015 * (lp - 50) ** 2 / math.sqrt(20 + (lp - 50) ** 2)
    sc = 1 + 0.045 * cp
    sh = 1 + 0.015 * cp * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2 + rt * (dc / sc) * (dhh / sh))


def ecart(couleur_a: str, couleur_b: str, *, deuteranopie: bool = False) -> float:
    """CIEDE2000 difference of two sRGB colours, as seen with deuteranopia when asked."""
    if deuteranopie:
        couleur_a, couleur_b = simuler_deuteranopie(couleur_a), simuler_deuteranopie(couleur_b)
    return ciede2000(lab(couleur_a), lab(couleur_b))


def ecart_minimal(couleurs: tuple[str, ...], *, voisines: bool = False, deuteranopie: bool = True) -> tuple[float, str, str]:
    """The smallest difference in a palette and the pair that has it.

    `voisines`: only consecutive colours (an ordered scale), otherwise every pair (categories).
    """
    paires = zip(couleurs, couleurs[1:]) if voisines else combinations(couleurs, 2)
    return min(((ecart(a, b, deuteranopie=deuteranopie), a, b) for a, b in paires), key=lambda e: e[0])


def palette_distinguable(couleurs: tuple[str, ...], *, voisines: bool = False) -> bool:
    """True when every colour stays apart from the others (or from its neighbours) with deuteranopia."""
    seuil = SEUIL_CLASSES_VOISINES if voisines else SEUIL_CATEGORIES
    return ecart_minimal(couleurs, voisines=voisines)[0] >= seuil
