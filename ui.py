"""Streamlit glue shared by app.py and the pages: cached loaders, the sidebar state, French error display.

Loading sits behind `st.cache_data` / `st.cache_resource` on hashable arguments so that every
session shares it; what belongs to one person (an uploaded file, a dataspace token) is kept in that
session's `st.session_state` only, never in a shared cache.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from diagnostics import territories
from diagnostics.places import charger_lieux
from diagnostics.sources.base import Lieux, SourceIndisponible

SOURCES = {
    "embarque": "Instantané embarqué (hors ligne)",
    "api": "API nationale (en ligne)",
}
DEFAULT_TERRITOIRE = "dep:29"


@dataclass
class Contexte:
    territoire: territories.Territoire
    source: str
    resultat: Lieux


@st.cache_resource(show_spinner=False)
def territoire(identifiant: str) -> territories.Territoire:
    return territories.resolve(identifiant)


@st.cache_data(show_spinner=False)
def recherche(texte: str) -> list[tuple[str, str]]:
    return [(t.id, t.libelle) for t in territories.search(texte, limit=30)]


@st.cache_resource(show_spinner="Chargement des lieux…")
def lieux_embarques(identifiant: str) -> Lieux:
    return charger_lieux(territoire(identifiant), "embarque")


@st.cache_resource(show_spinner=False, ttl=3600)
def _lieux_api(identifiant: str) -> Lieux:
    barre = st.progress(0.0, text="Téléchargement depuis l'API nationale…")

    def progress(recu: int, total: int | None, message: str) -> None:
        fraction = min(recu / total, 1.0) if total else 0.5
        barre.progress(fraction, text=f"{message} ({recu / 1e6:.1f} Mo)")

    try:
        return charger_lieux(territoire(identifiant), "api", progress=progress)
    finally:
        barre.empty()


def lieux(identifiant: str, source: str) -> Lieux:
    if source == "api":
        resultat = _lieux_api(identifiant)
        if resultat.source.repli:
            # A fallback must not stay cached for an hour: the API may be back at the next click.
            _lieux_api.clear()
        return resultat
    return lieux_embarques(identifiant)


def _query(name: str, default: str) -> str:
    value = st.query_params.get(name, default)
    return value if isinstance(value, str) and value else default


def barre_laterale() -> Contexte | None:
    """The shared sidebar: territory search and data source, both mirrored in the URL."""
    identifiant = _query("territoire", DEFAULT_TERRITOIRE)
    source = _query("source", "embarque")
    if source not in SOURCES:
        source = "embarque"
    with st.sidebar:
        st.markdown("### Territoire")
        texte = st.text_input(
            "Rechercher un territoire",
            placeholder="Brest, Finistère, CA du Pays de Saint-Malo, 29…",
            help="Région, département, EPCI ou commune : nom ou code, sans se soucier des accents.",
        )
        if texte.strip():
            choix = recherche(texte.strip())
            if choix:
                libelles = dict(choix)
                nouveau = st.selectbox(
                    "Résultats", options=list(libelles), format_func=libelles.get, index=None, placeholder="Choisir un territoire…"
                )
                if nouveau:
                    identifiant = nouveau
            else:
                st.warning("Aucun territoire ne correspond à cette recherche.")
        try:
            t = territoire(identifiant)
        except territories.TerritoireInconnu as exc:
            st.error(str(exc))
            t = territoire(DEFAULT_TERRITOIRE)
        st.markdown(f"**{t.libelle}** · {t.niveau_libelle} · {t.population:,} hab.".replace(",", "\u202f"))

        st.markdown("### Source des données")
        source = st.radio("Source", options=list(SOURCES), format_func=SOURCES.get, index=list(SOURCES).index(source), label_visibility="collapsed")
    st.query_params["territoire"] = t.id
    st.query_params["source"] = source
    try:
        resultat = lieux(t.id, source)
    except SourceIndisponible as exc:
        st.error(str(exc))
        return None
    with st.sidebar:
        info = resultat.source
        st.caption(f"**{info.libelle}** — données du {info.date or 'date inconnue'}")
        if info.message:
            (st.warning if info.repli else st.info)(info.message)
    return Contexte(territoire=t, source=source, resultat=resultat)
