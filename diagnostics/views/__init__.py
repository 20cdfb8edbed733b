"""Presentation of a diagnostic: maps (folium) and the locally served assets they load."""
from .assets import base_fichier, base_streamlit, localiser, urls_externes
from .carte import carte_territoire, classer_indicateur

__all__ = [
    "base_fichier",
    "base_streamlit",
    "carte_territoire",
    "classer_indicateur",
    "localiser",
    "urls_externes",
]
