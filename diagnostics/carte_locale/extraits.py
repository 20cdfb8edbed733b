"""Code to paste into a website: the iframe of our local map, and the national cartographie's web
component set to the same territory (an EPCI expanded to its commune codes)."""
from __future__ import annotations

import html
import re
import unicodedata

from .. import reference
from ..territories import Territoire
from .securite import ParametreInvalide, valider_couleur

CARTOGRAPHIE_API = "https://cartographie.societenumerique.gouv.fr/api"
CARTOGRAPHIE_VERSION = "6.13.2"  # the version the national integration guide shows
_CDN = f"https://cdn.jsdelivr.net/npm/@gouvfr-anct/cartographie-nationale@{CARTOGRAPHIE_VERSION}/dist-wc"

_TYPES = {"region": "regions", "departement": "departements", "epci": "communes", "commune": "communes"}
# Arrondissements and perimeters are lists of communes to the web component, as an EPCI is.
_TYPES.update({"arrondissement": "communes", "perimetre": "communes"})


def _attribut(valeur: str) -> str:
    return html.escape(str(valeur), quote=True)


def extrait_iframe(url: str, titre: str, hauteur: int = 640) -> str:
    """The `<iframe>` to paste into a CMS, pointing at the published `index.html`."""
    return (
        f'<iframe src="{_attribut(url)}" title="{_attribut(titre)}" width="100%" height="{int(hauteur)}" '
        'style="border:0" loading="lazy" referrerpolicy="no-referrer"></iframe>'
    )


def slug(texte: str) -> str:
    """URL slug as the national cartographie writes region and département names (« cotes-d-armor »)."""
    sans_accents = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", sans_accents.lower()).strip("-")


def attributs_cartographie(territoire: Territoire) -> dict[str, str]:
    """`territoire-type`, `territoires` and, when it can be built, `route-initiale` for a territory.

    The web component filters régions, départements or communes only: an EPCI becomes the list of
    its communes' INSEE codes; France needs no filter.
    """
    if territoire.niveau == "france":
        return {}
    attributs = {"territoire-type": _TYPES[territoire.niveau]}
    attributs["territoires"] = (
        ",".join(territoire.codes_communes) if _TYPES[territoire.niveau] == "communes" else territoire.code
    )
    route = _route(territoire)
    if route:
        attributs["route-initiale"] = route
    return attributs


def _route(territoire: Territoire) -> str:
    # The national site opens on a region or a département page; an EPCI or a commune opens on its
    # main département (the first parent).
    departements = reference.departements().set_index("code")
    regions = reference.regions().set_index("code")
    if territoire.niveau == "region":
        return f"/{slug(regions.loc[territoire.code, 'nom'])}" if territoire.code in regions.index else ""
    dep = territoire.code if territoire.niveau == "departement" else next(
        (p.split(":", 1)[1] for p in territoire.parents if p.startswith("dep:")), ""
    )
    if dep not in departements.index:
        return ""
    reg = departements.loc[dep, "reg"]
    if reg not in regions.index:
        return ""
    return f"/{slug(regions.loc[reg, 'nom'])}/{slug(departements.loc[dep, 'nom'])}"


def extrait_cartographie_nationale(
    territoire: Territoire,
    *,
    app_name: str = "",
    logo_url: str = "",
    couleur: str | None = None,
    couleur_secondaire: str | None = None,
) -> str:
    """The national cartographie's embed (stylesheet, `<cartographie-inclusion-numerique>`, script).

    Colours go to the DaisyUI CSS variables the component reads (`--color-primary`, `--color-secondary`).
    """
    attributs = {"api-url": CARTOGRAPHIE_API}
    if logo_url:
        if not re.match(r"^https?://", logo_url.strip(), re.I):
            raise ParametreInvalide("L'adresse du logo doit commencer par https:// : publiez le logo en ligne puis collez son adresse.")
        attributs["logo-url"] = logo_url.strip()
    if app_name:
        attributs["app-name"] = app_name
    attributs.update(attributs_cartographie(territoire))
    lignes = [f'<link href="{_CDN}/cartographie-nationale.css" rel="stylesheet" />']
    variables = []
    if couleur:
        variables.append(f"--color-primary: {valider_couleur(couleur)};")
    if couleur_secondaire:
        variables.append(f"--color-secondary: {valider_couleur(couleur_secondaire, 'couleur secondaire')};")
    if variables:
        lignes.append("<style>\n  :root {\n    " + "\n    ".join(variables) + "\n  }\n</style>")
    lignes.append("<cartographie-inclusion-numerique")
    lignes += [f'  {nom}="{_attribut(valeur)}"' for nom, valeur in attributs.items()]
    lignes.append("></cartographie-inclusion-numerique>")
    lignes.append(f'<script src="{_CDN}/cartographie.umd.js"></script>')
    return "\n".join(lignes)
