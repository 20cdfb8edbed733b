"""Local map for a territory's website: a static site of the territory's places in the organisation's
colours, and the snippets to embed it or the national cartographie."""
from .extraits import attributs_cartographie, extrait_cartographie_nationale, extrait_iframe
from .couleurs import Theme, corrections_couleurs, theme_lisible
from .securite import Logo, ParametreInvalide, contraste, valider_couleur, valider_logo
from .site import OptionsCarte, Site, archive_zip, construire_site, donnees_carte, options_carte, page_autonome

__all__ = [
    "Logo",
    "OptionsCarte",
    "ParametreInvalide",
    "Site",
    "Theme",
    "archive_zip",
    "attributs_cartographie",
    "construire_site",
    "contraste",
    "corrections_couleurs",
    "donnees_carte",
    "extrait_cartographie_nationale",
    "extrait_iframe",
    "options_carte",
    "page_autonome",
    "theme_lisible",
    "valider_couleur",
    "valider_logo",
]
