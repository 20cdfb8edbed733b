"""The local map as a self-contained static site: index.html, the territory's places and outline as a
script file (so the page also works opened from disk), the organisation's theme and logo, and the
map libraries copied from the project's npm packages."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import jinja2
from markupsafe import Markup
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from .. import territories
from ..paths import ROOT_DIR
from ..places import dans_territoire
from ..sources.base import SourceInfo
from ..standard.fields import split_list
from ..views.assets import AssetsIndisponibles
from . import accessibilite
from .couleurs import theme_lisible
from .securite import Logo, ParametreInvalide, valider_couleur

MODELE_DIR = Path(__file__).parent / "modele"
FILTRES = ("services", "frais", "publics", "dispositifs")
COULEUR_DEFAUT = "#1f4e8c"
COULEUR_SECONDAIRE_DEFAUT = "#b3400a"
TITRE_MAX = 120
TUILES_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_HOTE_TUILES = "https://tile.openstreetmap.org"
# Commune outlines are drawn (and serve as the basemap without tiles) up to this many communes; above,
# only the territory's outline is drawn, the communes stay searchable by name.
MAX_CONTOURS_COMMUNES = 1500

# File of the site → its source under node_modules/ (first choice) or static/vendor/ (the app's copy).
# Each licence travels with its code; opening_hours is LGPL-3.0 and stays a separate, unmodified file.
VENDOR: dict[str, tuple[str, ...]] = {
    "vendor/leaflet/leaflet.js": ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    "vendor/leaflet/leaflet.css": ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    "vendor/leaflet/images": ("leaflet/dist/images", "leaflet/images"),
    "vendor/leaflet/LICENSE": ("leaflet/LICENSE", "leaflet/LICENSE"),
    "vendor/leaflet.markercluster/leaflet.markercluster.js": (
        "leaflet.markercluster/dist/leaflet.markercluster.js", "leaflet.markercluster/leaflet.markercluster.js",
    ),
    "vendor/leaflet.markercluster/MarkerCluster.css": (
        "leaflet.markercluster/dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css",
    ),
    "vendor/leaflet.markercluster/MIT-LICENCE.txt": (
        "leaflet.markercluster/MIT-LICENCE.txt", "leaflet.markercluster/MIT-LICENCE.txt",
    ),
    "vendor/suncalc/suncalc.js": ("suncalc/suncalc.cjs",),
    "vendor/suncalc/LICENSE": ("suncalc/LICENSE",),
    "vendor/opening_hours/opening_hours.js": ("opening_hours/build/opening_hours.js",),
    "vendor/opening_hours/LGPL-3.0-only.txt": ("opening_hours/LICENSES/LGPL-3.0-only.txt",),
    "vendor/opening_hours/ODbL-1.0.txt": ("opening_hours/LICENSES/ODbL-1.0.txt",),
}
_SOURCES_VENDOR = (ROOT_DIR / "node_modules", ROOT_DIR / "static" / "vendor")
STYLES = ("vendor/leaflet/leaflet.css", "vendor/leaflet.markercluster/MarkerCluster.css", "style.css", "theme.css")
SCRIPTS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "vendor/suncalc/suncalc.js",
    "vendor/opening_hours/opening_hours.js",
    "donnees.js",
    "app.js",
)


@dataclass(frozen=True)
class OptionsCarte:
    """What an organisation chooses for its map; checked by `options_carte`."""

    titre: str = ""
    couleur: str = COULEUR_DEFAUT
    couleur_secondaire: str = COULEUR_SECONDAIRE_DEFAUT
    logo: Logo | None = None
    filtres: tuple[str, ...] = FILTRES
    fond_de_carte: bool = True


@dataclass
class Site:
    """What `construire_site` wrote."""

    dossier: Path
    nombre_lieux: int
    sans_position: int
    avertissements: list[str] = field(default_factory=list)
    fichiers: list[Path] = field(default_factory=list)

    @property
    def index(self) -> Path:
        return self.dossier / "index.html"


def options_carte(
    *,
    titre: str = "",
    couleur: str | None = None,
    couleur_secondaire: str | None = None,
    logo: Logo | None = None,
    filtres: str | list[str] | tuple[str, ...] | None = None,
    fond_de_carte: bool = True,
) -> OptionsCarte:
    """Checked options: hex colours, a title of at most 120 characters, known filter names.

    `filtres` is a list or a comma-separated string among services, frais, publics, dispositifs
    (None = all four; "" = none). Raises ParametreInvalide with a French message.
    """
    if isinstance(filtres, str):
        filtres = [f.strip().lower() for f in filtres.split(",") if f.strip()]
    filtres = tuple(FILTRES if filtres is None else filtres)
    inconnus = [f for f in filtres if f not in FILTRES]
    if inconnus:
        raise ParametreInvalide(
            f"Filtre inconnu : {', '.join(inconnus)} ; choisissez parmi {', '.join(FILTRES)}, séparés par des virgules."
        )
    titre = re.sub(r"\s+", " ", str(titre or "")).strip()
    if len(titre) > TITRE_MAX:
        raise ParametreInvalide(f"Le titre compte {len(titre)} caractères : raccourcissez-le à {TITRE_MAX} au plus.")
    return OptionsCarte(
        titre=titre,
        couleur=valider_couleur(couleur or COULEUR_DEFAUT, "couleur principale"),
        couleur_secondaire=valider_couleur(couleur_secondaire or COULEUR_SECONDAIRE_DEFAUT, "couleur secondaire"),
        logo=logo,
        filtres=tuple(f for f in FILTRES if f in filtres),
        fond_de_carte=bool(fond_de_carte),
    )


def titre_par_defaut(territoire: territories.Territoire) -> str:
    return f"Lieux d'inclusion numérique — {territoire.nom if territoire.niveau != 'france' else 'France'}"


def lieux_du_territoire(lieux: gpd.GeoDataFrame, territoire: territories.Territoire) -> gpd.GeoDataFrame:
    """The places located in the territory itself (the loaded frame also holds neighbours)."""
    return lieux[dans_territoire(lieux, territoire)].reset_index(drop=True)


def donnees_carte(
    territoire: territories.Territoire,
    lieux: gpd.GeoDataFrame,
    source: SourceInfo,
    options: OptionsCarte = OptionsCarte(),
) -> dict:
    """Everything the page shows, as plain JSON-ready values.

    Keys: `titre`, `territoire` (id, nom), `source` (libelle, date), `filtres`, `fond_de_carte`,
    `tuiles`, `contour` (GeoJSON geometry), `communes` (code, nom, bbox, geometry or None),
    `lieux` (only the territory's places, only the fields shown; lat/lon None when unknown).
    """
    propres = lieux_du_territoire(lieux, territoire)
    communes = territories.communes_frame(territoire)
    avec_contours = len(communes) <= MAX_CONTOURS_COMMUNES
    tolerance = _tolerance(territories.geometry(territoire))
    return {
        "titre": options.titre or titre_par_defaut(territoire),
        "territoire": {"id": territoire.id, "nom": territoire.libelle},
        "source": {"libelle": source.libelle, "date": source.date or ""},
        "filtres": list(options.filtres),
        "fond_de_carte": options.fond_de_carte,
        "tuiles": TUILES_OSM if options.fond_de_carte else "",
        "contour": _geojson(territories.geometry(territoire), tolerance),
        "communes": _communes(communes, tolerance if avec_contours else None),
        "lieux": [_lieu(ligne) for ligne in propres.to_dict("records")],
    }


def construire_site(
    territoire: territories.Territoire,
    lieux: gpd.GeoDataFrame,
    source: SourceInfo,
    dossier: Path,
    options: OptionsCarte = OptionsCarte(),
) -> Site:
    """Write the static site into `dossier` (created; files of a previous build are replaced).

    Raises
    ------
    AssetsIndisponibles
        When the npm packages the page needs are not installed.
    """
    dossier = Path(dossier)
    sources_vendor = _sources_vendor()
    donnees = donnees_carte(territoire, lieux, source, options)
    dossier.mkdir(parents=True, exist_ok=True)
    ecrits = []
    for cible, chemin in sources_vendor.items():
        destination = dossier / cible
        destination.parent.mkdir(parents=True, exist_ok=True)
        if chemin.is_dir():
            shutil.copytree(chemin, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(chemin, destination)
        ecrits.append(destination)
    for nom in ("app.js", "style.css"):
        shutil.copyfile(MODELE_DIR / nom, dossier / nom)
        ecrits.append(dossier / nom)
    ecrits.append(_ecrire(dossier / "donnees.js", _script_donnees(donnees)))
    ecrits.append(_ecrire(dossier / "theme.css", _theme(options)))
    for ancien in dossier.glob("logo.*"):
        ancien.unlink()
    logo = ""
    if options.logo is not None:
        logo = f"logo.{options.logo.extension}"
        (dossier / logo).write_bytes(options.logo.contenu)
        ecrits.append(dossier / logo)
    ecrits.append(_ecrire(dossier / "index.html", page_html(donnees, logo=logo)))
    declaration = accessibilite.declaration_html(donnees["titre"], donnees["territoire"]["nom"])
    ecrits.append(_ecrire(dossier / accessibilite.FICHIER, declaration))
    sans_position = sum(1 for lieu in donnees["lieux"] if lieu["lat"] is None)
    return Site(
        dossier=dossier,
        nombre_lieux=len(donnees["lieux"]),
        sans_position=sans_position,
        avertissements=theme_lisible(options.couleur, options.couleur_secondaire).corrections,
        fichiers=ecrits,
    )


def archive_zip(dossier: Path) -> bytes:
    """The site folder as a ZIP file (paths relative to the folder)."""
    dossier = Path(dossier)
    tampon = io.BytesIO()
    with zipfile.ZipFile(tampon, "w", zipfile.ZIP_DEFLATED) as archive:
        for chemin in sorted(dossier.rglob("*")):
            if chemin.is_file():
                archive.write(chemin, chemin.relative_to(dossier).as_posix())
    return tampon.getvalue()


def politique_securite(fond_de_carte: bool, scripts: str = "'self'", styles: str = "'self'", images: str = "'self'") -> str:
    """The page's Content-Security-Policy: its own files only, plus OpenStreetMap tiles when asked."""
    images += f" {_HOTE_TUILES}" if fond_de_carte else ""
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; "
        f"img-src {images}; font-src 'self'; connect-src 'none'; object-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def _modele():
    environnement = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MODELE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    return environnement.get_template("index.html")


def page_html(donnees: dict, logo: str = "") -> str:
    """index.html of the site folder (autoescaped template: the title is text, never markup); its footer links to
    the accessibility statement written beside it."""
    return _modele().render(
        titre=donnees["titre"],
        logo=logo,
        declaration=accessibilite.FICHIER,
        csp=politique_securite(donnees["fond_de_carte"]),
        filtres=donnees["filtres"],
        styles=[{"href": h} for h in STYLES],
        scripts=[{"href": h} for h in SCRIPTS],
    )


def page_autonome(donnees: dict, options: OptionsCarte = OptionsCarte()) -> str:
    """The whole map in one HTML string (scripts, styles, data and logo inline), for a live preview.

    The Content-Security-Policy allows exactly these inline blocks by their SHA-256 hashes.
    """
    vendor = _sources_vendor()

    def contenu(chemin: str) -> str:
        if chemin == "theme.css":
            return _theme(options)
        if chemin == "donnees.js":
            # Inside <script>, "</script>" in a place's name would end the block: JSON escapes "<".
            return _script_donnees(donnees).replace("<", "\\u003c")
        fichier = vendor[chemin] if chemin in vendor else MODELE_DIR / chemin
        return fichier.read_text(encoding="utf-8")

    styles = [contenu(c) for c in STYLES]
    scripts = [contenu(c) for c in SCRIPTS]
    logo = ""
    if options.logo is not None:
        logo = f"data:{options.logo.type_mime};base64,{base64.b64encode(options.logo.contenu).decode()}"
    csp = politique_securite(
        donnees["fond_de_carte"], scripts=_empreintes(scripts), styles=_empreintes(styles), images="data:"
    )
    return _modele().render(
        titre=donnees["titre"],
        logo=logo,
        declaration="",  # a preview has no file beside it
        csp=csp,
        filtres=donnees["filtres"],
        styles=[{"code": Markup(c)} for c in styles],
        scripts=[{"code": Markup(c)} for c in scripts],
    )


def _empreintes(blocs: list[str]) -> str:
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode('utf-8')).digest()).decode()}'" for b in blocs
    )


def _sources_vendor() -> dict[str, Path]:
    trouves, absents = {}, []
    for cible, candidats in VENDOR.items():
        chemin = next(
            (base / c for base in _SOURCES_VENDOR for c in candidats if (base / c).exists()), None
        )
        if chemin is None:
            absents.append(candidats[0])
        else:
            trouves[cible] = chemin
    if absents:
        raise AssetsIndisponibles(
            f"Fichiers de la carte introuvables dans node_modules ({', '.join(absents)}) : "
            "lancez `npm ci --ignore-scripts` à la racine du projet puis recommencez."
        )
    return trouves


def _ecrire(chemin: Path, texte: str) -> Path:
    chemin.write_text(texte, encoding="utf-8")
    return chemin


def _script_donnees(donnees: dict) -> str:
    # A script rather than a .json file: browsers refuse fetch() on pages opened from disk.
    texte = json.dumps(donnees, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # U+2028/2029 are valid JSON but ended string literals in older JavaScript engines.
    texte = texte.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"window.CARTE_LOCALE = {texte};\n"


def _theme(options: OptionsCarte) -> str:
    # Colours are validated #rrggbb strings, so they can be written into CSS as they are. Where the chosen
    # colours carry text or markers, their readable variants are used (couleurs.theme_lisible).
    theme = theme_lisible(options.couleur, options.couleur_secondaire)
    return (
        ":root {\n"
        f"  --couleur: {theme.couleur};\n"
        f"  --sur-couleur: {theme.sur_couleur};\n"
        f"  --couleur-texte: {theme.couleur_texte};\n"
        f"  --couleur-secondaire: {theme.secondaire};\n"
        f"  --sur-secondaire: {theme.sur_secondaire};\n"
        "}\n"
    )


def _tolerance(geometrie) -> float:
    # About 1/2000 of the territory's extent: invisible at the territory's zoom, a fraction of the size.
    xmin, ymin, xmax, ymax = geometrie.bounds
    return max(xmax - xmin, ymax - ymin, 0.01) / 2000


def _geojson(geometrie, tolerance: float | None) -> dict | None:
    if geometrie is None or geometrie.is_empty:
        return None
    if tolerance:
        geometrie = shapely.simplify(geometrie, tolerance, preserve_topology=True)
    geometrie = shapely.set_precision(geometrie, 1e-5)
    return mapping(geometrie)


def _communes(communes: gpd.GeoDataFrame, tolerance: float | None) -> list[dict]:
    resultat = []
    for code, nom, geometrie in zip(communes["code"], communes["nom"], communes.geometry):
        bornes = [round(float(v), 5) for v in geometrie.bounds] if geometrie is not None else None
        resultat.append(
            {
                "code": str(code),
                "nom": str(nom),
                "bbox": bornes,
                "geometrie": _geojson(geometrie, tolerance) if tolerance else None,
            }
        )
    return sorted(resultat, key=lambda c: c["nom"])


def _texte(valeur) -> str:
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)) or valeur is pd.NA:
        return ""
    return str(valeur).strip()


def _liste(valeur) -> list[str]:
    return split_list(_texte(valeur))


def _lien(valeur) -> str:
    """The URL when it is an http(s) link, else "" (shown as text elsewhere, never as a link)."""
    texte = _texte(valeur)
    return texte if re.match(r"^https?://[^\s<>\"']+$", texte, re.I) else ""


def _coordonnee(valeur) -> float | None:
    try:
        nombre = float(valeur)
    except (TypeError, ValueError):
        return None
    return round(nombre, 6) if np.isfinite(nombre) else None


def _lieu(ligne: dict) -> dict:
    lat, lon = _coordonnee(ligne.get("latitude")), _coordonnee(ligne.get("longitude"))
    if lat is None or lon is None or (lat == 0 and lon == 0):
        lat = lon = None
    adresse = ", ".join(t for t in (_texte(ligne.get("adresse")), _texte(ligne.get("complement_adresse"))) if t)
    return {
        "id": _texte(ligne.get("id")),
        "nom": _texte(ligne.get("nom")) or "Lieu sans nom",
        "adresse": adresse,
        "code_postal": _texte(ligne.get("code_postal")),
        "commune": _texte(ligne.get("commune")),
        "lat": lat,
        "lon": lon,
        "position_approximative": bool(ligne.get("position_approximative") is True),
        "horaires": _texte(ligne.get("horaires")),
        "telephone": _texte(ligne.get("telephone")),
        "courriels": _liste(ligne.get("courriels")),
        "sites": [u for u in (_lien(s) for s in _liste(ligne.get("site_web"))) if u],
        "prise_rdv": _lien(ligne.get("prise_rdv")),
        "fiche_acces_libre": _lien(ligne.get("fiche_acces_libre")),
        "presentation": _texte(ligne.get("presentation_resume")),
        "services": _liste(ligne.get("services")),
        "publics": _liste(ligne.get("publics_specifiquement_adresses")) + _liste(ligne.get("prise_en_charge_specifique")),
        "frais": _liste(ligne.get("frais_a_charge")),
        "dispositifs": _liste(ligne.get("dispositif_programmes_nationaux")),
        "modalites_acces": _liste(ligne.get("modalites_acces")),
        "date_maj": _texte(ligne.get("date_maj")),
    }
