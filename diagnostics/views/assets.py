"""The map's JavaScript/CSS served by the app instead of CDNs: install them from npm, point folium at them.

`bash scripts/install_assets.sh` (which calls `main()`) runs `npm ci` at the repository root and copies
the files the maps load into `static/vendor/` (third-party code, never committed). `localiser(m, base)` rewrites every
folium element's CDN links to `base`; `urls_externes(html)` lists what a rendered page would still
fetch from outside.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import branca.colormap
import folium
from branca.element import Element

from ..paths import ROOT_DIR

VENDOR_DIR = ROOT_DIR / "static" / "vendor"
NODE_MODULES = "node_modules"

# The URL at which Streamlit serves `static/` (with `server.enableStaticServing = true`). An absolute
# path, so it resolves the same from the page and from streamlit-folium's component iframe.
STREAMLIT_STATIC = "/app/static/vendor"

# Every CDN URL folium 0.20 (and the plugins we use) loads → its file under static/vendor/.
# folium asks for awesome-markers 2.0.2 from cdnjs; npm only has 2.0.0/2.0.4/2.0.5, and 2.0.5 is
# the same plugin with its images bundled. Fullscreen's ".min.js" is not in the npm package: the
# unminified file is served instead.
LOCAUX: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (
        "leaflet.awesome-markers/leaflet.awesome-markers.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (
        "leaflet.awesome-markers/leaflet.awesome-markers.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        "leaflet.markercluster/leaflet.markercluster.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        "leaflet.markercluster/MarkerCluster.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (
        "leaflet.markercluster/MarkerCluster.Default.css"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": (
        "leaflet.fullscreen/Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": (
        "leaflet.fullscreen/Control.FullScreen.css"
    ),
}

# Links folium adds to every map that we drop rather than serve: both only style `folium.Icon`
# markers (Bootstrap 3 glyphicons; icon rotation), which our maps do not draw, and neither file is
# published on npm (the rotation CSS lives only in folium's git repository).
NON_SERVIS = frozenset(
    {
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
        "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    }
)

# File or folder under static/vendor/ → its source under node_modules/. Folders hold what the CSS
# references by relative URL (images, fonts); each licence travels with its code.
COPIES: dict[str, str] = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images": "leaflet/dist/images",
    "leaflet/LICENSE": "leaflet/LICENSE",
    "jquery/jquery.min.js": "jquery/dist/jquery.min.js",
    "jquery/LICENSE.txt": "jquery/LICENSE.txt",
    "bootstrap/bootstrap.bundle.min.js": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/LICENSE": "bootstrap/LICENSE",
    "fontawesome/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "fontawesome/webfonts": "@fortawesome/fontawesome-free/webfonts",
    "fontawesome/LICENSE.txt": "@fortawesome/fontawesome-free/LICENSE.txt",
    "leaflet.awesome-markers/leaflet.awesome-markers.js": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet.awesome-markers/leaflet.awesome-markers.css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "leaflet.awesome-markers/images": "leaflet.awesome-markers/dist/images",
    "leaflet.awesome-markers/LICENSE": "leaflet.awesome-markers/LICENSE",
    "leaflet.markercluster/leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.markercluster/MIT-LICENCE.txt": "leaflet.markercluster/MIT-LICENCE.txt",
    "leaflet.fullscreen/Control.FullScreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "leaflet.fullscreen/Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet.fullscreen/icon-fullscreen.svg": "leaflet.fullscreen/icon-fullscreen.svg",
    "leaflet.fullscreen/LICENSE": "leaflet.fullscreen/LICENSE",
}

_COMMANDE_INSTALLATION = "bash scripts/install_assets.sh"


class AssetsIndisponibles(RuntimeError):
    """The map's files cannot be installed or a map needs a file we do not serve (French message)."""


def base_streamlit(base_url_path: str = "") -> str:
    """URL prefix of the assets inside the Streamlit app.

    Parameters
    ----------
    base_url_path : Streamlit's `server.baseUrlPath` ("" when the app is served at the root).
    """
    prefixe = base_url_path.strip("/")
    return f"/{prefixe}{STREAMLIT_STATIC}" if prefixe else STREAMLIT_STATIC


def base_fichier(dossier: Path = VENDOR_DIR) -> str:
    """`file://` URL of the installed assets, for a standalone HTML file opened from this machine."""
    return Path(dossier).resolve().as_uri()


def assets_manquants(dossier: Path = VENDOR_DIR) -> list[str]:
    """Files of static/vendor/ the maps need and that are not installed (relative paths; [] when complete)."""
    return [chemin for chemin in COPIES if not (Path(dossier) / chemin).exists()]


def message_assets_manquants(dossier: Path = VENDOR_DIR) -> str:
    """One French sentence for the user when the map's files are missing, "" when they are all there."""
    manquants = assets_manquants(dossier)
    if not manquants:
        return ""
    return (
        f"Les fichiers d'affichage de la carte ne sont pas installés ({len(manquants)} manquants) : "
        f"lancez `{_COMMANDE_INSTALLATION}` à la racine du projet puis rechargez la page."
    )


def installer(racine: Path = ROOT_DIR, destination: Path | None = None, npm: str = "npm") -> list[Path]:
    """Install the npm packages of `racine/package.json` and copy the files the maps load.

    Runs `npm ci` (or `npm install` when there is no package-lock.json) without install scripts,
    then copies each entry of `COPIES` into `destination` (default `racine/static/vendor`).

    Returns
    -------
    The copied files and folders.
    """
    racine = Path(racine)
    destination = Path(destination) if destination is not None else racine / "static" / "vendor"
    executable = shutil.which(npm)
    if executable is None:
        raise AssetsIndisponibles(
            "La commande npm est introuvable : installez Node.js et npm (paquets Debian `nodejs` et `npm`) "
            f"puis relancez `{_COMMANDE_INSTALLATION}`."
        )
    action = "ci" if (racine / "package-lock.json").exists() else "install"
    resultat = subprocess.run(
        [executable, action, "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=racine,
        capture_output=True,
        text=True,
    )
    if resultat.returncode != 0:
        raise AssetsIndisponibles(
            f"L'installation des fichiers de la carte par `npm {action}` a échoué "
            f"(code {resultat.returncode}, {_premiere_ligne(resultat.stderr)}) : "
            "vérifiez l'accès au registre npm puis relancez la commande."
        )
    return _copier(racine / NODE_MODULES, destination)


def _premiere_ligne(texte: str) -> str:
    # npm says what went wrong first ("npm error code E404") and where its log is last.
    lignes = [ligne.strip() for ligne in texte.splitlines() if ligne.strip()]
    return lignes[0] if lignes else "aucun message"


def _copier(modules: Path, destination: Path) -> list[Path]:
    absents = [source for source in COPIES.values() if not (modules / source).exists()]
    if absents:
        raise AssetsIndisponibles(
            f"Fichiers introuvables dans {modules} après l'installation npm : {', '.join(absents)} ; "
            "vérifiez que package.json a les versions attendues par diagnostics/views/assets.py."
        )
    copies = []
    for cible, source in COPIES.items():
        chemin = destination / cible
        chemin.parent.mkdir(parents=True, exist_ok=True)
        if (modules / source).is_dir():
            shutil.copytree(modules / source, chemin, dirs_exist_ok=True)
        else:
            shutil.copyfile(modules / source, chemin)
        copies.append(chemin)
    return copies


def elements(element: Element):
    """The element and everything under it (children of children…)."""
    yield element
    for enfant in element._children.values():
        yield from elements(enfant)


def _deja_local(url: str) -> str | None:
    """The static/vendor/ path of a link a previous `localiser` call wrote (so a map can be re-based)."""
    return next((relatif for relatif in LOCAUX.values() if url.endswith(f"/{relatif}")), None)


def localiser(m: folium.Map, base: str) -> folium.Map:
    """Point every CDN link of the map's elements (plugins included) at `base` + local path.

    Call it after the last layer or control is added: elements added later keep folium's CDN links.

    Parameters
    ----------
    m : the map (its whole figure is walked).
    base : URL prefix of static/vendor/ as the browser will see it: `base_streamlit()`,
        `base_fichier()`, or a path such as "/vendor" when a test server serves the folder.

    Raises
    ------
    AssetsIndisponibles
        When an element needs a file we do not serve (a new plugin, another folium version), or
        holds a branca colour map (streamlit-folium always loads d3 from a CDN for those).
    """
    base = base.rstrip("/")
    inconnus = []
    for element in elements(m.get_root()):
        if isinstance(element, branca.colormap.ColorMap):
            raise AssetsIndisponibles(
                "La carte contient une échelle de couleurs branca, qui charge d3 depuis Internet : "
                "remplacez-la par une légende HTML (voir diagnostics/views/carte.py)."
            )
        for attribut in ("default_js", "default_css"):
            liens = getattr(element, attribut, None)
            if not liens:
                continue
            locaux = []
            for nom, url in liens:
                if url in NON_SERVIS:
                    continue
                relatif = LOCAUX.get(url) or _deja_local(url)
                if relatif:
                    locaux.append((nom, f"{base}/{relatif}"))
                else:
                    inconnus.append(url)
            # An instance attribute: the class-level lists are shared by every map of the process.
            setattr(element, attribut, locaux)
    if inconnus:
        raise AssetsIndisponibles(
            f"La carte demande des fichiers qui ne sont pas servis localement : {', '.join(sorted(set(inconnus)))} ; "
            "ajoutez le paquet npm dans package.json et le fichier dans diagnostics/views/assets.py."
        )
    return m


# Places in a page where a URL is fetched by the browser (not merely linked to).
_CHARGEMENTS = [
    re.compile(r"<(?:script|img|iframe|source|video|audio|embed|track|input)\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*?\bhref\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"<object\b[^>]*?\bdata\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"\burl\(\s*[\"']?([^\"')\s]+)", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']([^\"']+)", re.I),
    re.compile(r"\bL\.(?:tileLayer(?:\.wms)?|imageOverlay|videoOverlay)\(\s*[\"']([^\"']+)"),
    re.compile(r"\bfetch\(\s*[\"']([^\"']+)"),
    re.compile(r"\.src\s*=\s*[\"']([^\"']+)"),
]
_EXTERNE = re.compile(r"^(?:https?:)?//([^/:?#]+)", re.I)


def urls_externes(html: str, hotes_locaux: tuple[str, ...] = ("127.0.0.1", "localhost")) -> list[str]:
    """External URLs a rendered page would fetch (scripts, styles, images, fonts, tiles), sorted, unique.

    A link the user may follow (a place's website in a popup, the tile attribution) is not fetched
    and is not listed; relative, `file:` and `data:` URLs and the `hotes_locaux` are local.
    """
    trouvees = set()
    for motif in _CHARGEMENTS:
        for url in motif.findall(html):
            externe = _EXTERNE.match(url)
            if externe and externe.group(1).lower() not in hotes_locaux:
                trouvees.add(url)
    return sorted(trouvees)


def main() -> int:
    """Install the assets into static/vendor/; prints one French line, returns the exit code."""
    try:
        copies = installer()
    except AssetsIndisponibles as erreur:
        print(erreur, file=sys.stderr)
        return 1
    print(f"Fichiers de la carte installés dans {VENDOR_DIR} ({len(copies)} éléments copiés).")
    return 0
