"""Streamlit glue shared by app.py and the pages: the sidebar state, cached loaders, French errors.

Loading and computing sit behind `st.cache_resource` on hashable keys (territory id, source,
parameters) so that every session shares them. What belongs to one person — an uploaded file, a
dataspace token and what it fetched — lives in that session's `st.session_state` only, never in a
shared cache, so one session can never see another's.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import streamlit as st

import ui_perimetre
from diagnostics import perimetres, territories
from diagnostics.diagnostic import PARTIES
from diagnostics.diagnostic import diagnostic as calculer_diagnostic
from diagnostics.indicators.par_commune import table_communes as calculer_table_communes
from diagnostics.places import charger_lieux, dans_territoire, restreindre
from diagnostics.sources.base import Lieux, SourceIndisponible
from diagnostics.views import fichiers
from diagnostics.views.format import nombre

SOURCES = {
    "embarque": "Instantané embarqué (hors ligne)",
    "api": "API nationale (en ligne)",
    "dataspace": "Dataspace ANCT (jeton)",
    "fichier": "Fichier importé",
}
SOURCES_PARTAGEES = ("embarque", "api")  # same data for everyone: cached across sessions
DEFAULT_TERRITOIRE = "dep:29"
MAX_FICHIER_MO = 50


@dataclass
class Contexte:
    territoire: territories.Territoire
    source: str
    resultat: Lieux
    cle_session: str = ""  # "" for shared sources; a digest for this session's own data

    @property
    def lieux(self) -> gpd.GeoDataFrame:
        """The territory's places and its neighbours' within the buffer."""
        return self.resultat.lieux

    @property
    def lieux_territoire(self) -> gpd.GeoDataFrame:
        return self.lieux[dans_territoire(self.lieux, self.territoire)]

    @property
    def cle(self) -> tuple:
        return (self.territoire.id, self.source, self.cle_session)


@st.cache_resource(show_spinner=False, max_entries=500)
def territoire(identifiant: str) -> territories.Territoire:
    return perimetres.resoudre(identifiant)


@st.cache_data(show_spinner=False, max_entries=500)
def recherche(texte: str) -> list[tuple[str, str]]:
    return [(t.id, t.libelle) for t in territories.search(texte, limit=30)]


@st.cache_resource(show_spinner="Chargement des lieux…", max_entries=200)
def _lieux_embarques(identifiant: str) -> Lieux:
    return charger_lieux(territoire(identifiant), "embarque")


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=50)
def _lieux_api(identifiant: str) -> Lieux:
    barre = st.progress(0.0, text="Téléchargement depuis l'API nationale…")

    def progress(recu: int, total: int | None, message: str) -> None:
        fraction = min(recu / total, 1.0) if total else 0.5
        barre.progress(fraction, text=f"{message} ({nombre(recu / 1e6, 1)} Mo)")

    try:
        return charger_lieux(territoire(identifiant), "api", progress=progress)
    finally:
        barre.empty()


def lieux_partages(identifiant: str, source: str) -> Lieux:
    """Places of a territory from a shared source (snapshot or API), cached for every session; an API
    fallback is not kept, so the next call tries the API again."""
    if source == "api":
        resultat = _lieux_api(identifiant)
        if resultat.source.repli:
            # A fallback must not stay cached for an hour: the API may answer at the next click.
            _lieux_api.clear()
        return resultat
    return _lieux_embarques(identifiant)


def _memo_session() -> dict:
    return st.session_state.setdefault("_memo", {})


def _lieux_dataspace(t: territories.Territoire, jeton: str) -> tuple[Lieux, str]:
    # The token is only hashed into this session's key: never stored in a shared cache or a file.
    cle = hashlib.sha256(f"dataspace|{t.id}|{jeton}".encode()).hexdigest()[:16]
    memo = _memo_session()
    if ("lieux", cle) not in memo:
        with st.spinner("Téléchargement depuis le dataspace ANCT…"):
            memo[("lieux", cle)] = charger_lieux(t, "dataspace", token=jeton)
    return memo[("lieux", cle)], cle


def _lieux_fichier(t: territories.Territoire) -> tuple[Lieux, str] | None:
    televerse = st.session_state.get("_fichier")
    if televerse is None:
        return None
    nom, contenu = televerse
    digest = hashlib.sha256(contenu).hexdigest()[:16]
    memo = _memo_session()
    if ("fichier", digest) not in memo:
        from diagnostics.sources.fichier import FichierIllisible, charger_fichier

        try:
            memo[("fichier", digest)] = charger_fichier(contenu, nom)
        except FichierIllisible as exc:
            raise SourceIndisponible(str(exc)) from exc
    complet = memo[("fichier", digest)]
    lieux = restreindre(complet.lieux, t)
    return Lieux(lieux=lieux, source=complet.source, rapport=complet.rapport), digest


def memoiser(ctx: Contexte, nom: str, parametres: tuple, calcul):
    """Result of `calcul()` cached for everyone (shared sources) or for this session only."""
    if not ctx.cle_session:
        return _partage(nom, ctx.territoire.id, ctx.source, parametres, calcul)
    memo = _memo_session()
    cle = (nom, ctx.cle, parametres)
    if cle not in memo:
        memo[cle] = calcul()
    return memo[cle]


@st.cache_resource(show_spinner="Calcul des indicateurs…", max_entries=300)
def _partage(nom: str, identifiant: str, source: str, parametres: tuple, _calcul):
    # `_calcul` is not hashed: the key (nom, territory, source, parameters) fully determines it.
    return _calcul()


def diagnostic(ctx: Contexte, rayon_km: float = 10.0, parties: tuple[str, ...] = PARTIES) -> dict:
    """The diagnostic with only the optional `parties` a page shows (offer, quality… cost seconds)."""
    return memoiser(
        ctx, "diagnostic", (float(rayon_km), tuple(parties)),
        lambda: calculer_diagnostic(ctx.territoire, ctx.lieux, ctx.resultat.source, rayon_km=rayon_km, parties=parties),
    )


def table_communes(ctx: Contexte, rayon_km: float = 10.0) -> pd.DataFrame:
    return memoiser(
        ctx, "table_communes", (float(rayon_km),),
        lambda: calculer_table_communes(ctx.territoire, ctx.lieux, rayon_km=rayon_km),
    )


def table_unites(ctx: Contexte, niveau: str, rayon_km: float = 10.0) -> pd.DataFrame:
    from diagnostics.diagnostic import table_unites as calculer_table_unites

    return memoiser(
        ctx, "table_unites", (niveau, float(rayon_km)),
        lambda: calculer_table_unites(ctx.territoire, ctx.lieux, niveau, rayon_km=rayon_km),
    )


def _query(name: str, default: str) -> str:
    value = st.query_params.get(name, default)
    return value if isinstance(value, str) and value else default


def _choix_territoire(identifiant: str) -> territories.Territoire:
    st.markdown("### Territoire")
    texte = st.text_input(
        "Rechercher un territoire", key="_recherche_territoire",
        placeholder="Brest, Finistère, CA du Pays de Saint-Malo, 29…",
        help="Région, département, EPCI ou commune : nom ou code, sans se soucier des accents ni des majuscules.",
    )
    if texte.strip():
        choix = recherche(texte.strip()[:100])
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
    st.markdown(f"**{t.libelle}** · {t.niveau_libelle} · {nombre(t.population)} hab.")
    return t


def _choix_source(source: str) -> str:
    st.markdown("### Source des données")
    source = st.radio(
        "Source", options=list(SOURCES), format_func=SOURCES.get, index=list(SOURCES).index(source),
        label_visibility="collapsed",
    )
    if source == "dataspace":
        st.text_input(
            "Jeton du dataspace ANCT", type="password", key="_jeton",
            help="Délivré par l'ANCT (cartographie.sonum@anct.gouv.fr). Gardé pour cette session seulement, jamais enregistré.",
        )
    if source == "fichier":
        fichier = st.file_uploader(
            f"Fichier de lieux (CSV, XLSX, JSON, GeoJSON ; {MAX_FICHIER_MO} Mo au plus)",
            type=["csv", "txt", "xlsx", "json", "geojson"],
        )
        if fichier is not None:
            contenu = fichier.getvalue()
            if len(contenu) > MAX_FICHIER_MO * 1024 * 1024:
                st.error(f"Fichier trop volumineux ({nombre(len(contenu) / 1e6, 1)} Mo) : la limite est de {MAX_FICHIER_MO} Mo.")
            else:
                st.session_state["_fichier"] = (fichier.name, contenu)
    return source


def barre_laterale() -> Contexte | None:
    """The shared sidebar: territory search and data source, mirrored in the URL."""
    # Streamlit empties the URL's parameters when the person switches page: the session's last choice
    # stands in (a perimeter built in the sidebar would otherwise be lost at the first page change).
    identifiant = _query("territoire", st.session_state.get("_territoire_choisi", DEFAULT_TERRITOIRE))
    source = _query("source", st.session_state.get("_source_choisie", "embarque"))
    if source not in SOURCES:
        source = "embarque"
    with st.sidebar:
        t = _choix_territoire(identifiant)
        ui_perimetre.constructeur(t)
        source = _choix_source(source)
    st.query_params["territoire"] = t.id
    st.query_params["source"] = source
    st.session_state["_territoire_choisi"], st.session_state["_source_choisie"] = t.id, source
    try:
        ctx = _contexte(t, source)
    except SourceIndisponible as exc:
        st.error(str(exc))
        return None
    if ctx is None:
        return None
    with st.sidebar:
        info = ctx.resultat.source
        st.caption(f"**{info.libelle}** — données du {info.date or 'date inconnue'}")
        if info.message:
            (st.warning if info.repli else st.info)(info.message)
    return ctx


def jeton_dataspace() -> str:
    """This session's dataspace token (typed in the sidebar), else the operator's for the whole server."""
    return st.session_state.get("_jeton") or os.environ.get("DIAGNOSTIC_DATASPACE_TOKEN", "")


def texte_brut(texte: str) -> str:
    """Data text for st.markdown, st.caption, st.info…: markdown characters escaped and < > & written as
    entities, so that a name from a file stays text."""
    texte = str(texte).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]#|~$])", r"\\\1", texte)


def _contexte(t: territories.Territoire, source: str) -> Contexte | None:
    if source in SOURCES_PARTAGEES:
        return Contexte(territoire=t, source=source, resultat=lieux_partages(t.id, source))
    if source == "dataspace":
        jeton = jeton_dataspace()
        if not jeton:
            st.info("Saisissez le jeton du dataspace ANCT dans le panneau de gauche pour charger les lieux.")
            return None
        resultat, cle = _lieux_dataspace(t, jeton)
        return Contexte(territoire=t, source=source, resultat=resultat, cle_session=cle)
    charge = _lieux_fichier(t)
    if charge is None:
        st.info("Importez un fichier de lieux dans le panneau de gauche (CSV, XLSX, JSON ou GeoJSON, standard v0 ou v1).")
        return None
    resultat, cle = charge
    return Contexte(territoire=t, source=source, resultat=resultat, cle_session=cle)


def contexte() -> Contexte:
    """The current context for a page; stops the page quietly when the sidebar could not build one."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or "contexte" not in st.session_state:
        # With a pages/ folder beside app.py, Streamlit's legacy multipage mode runs a page alone
        # (without app.py, so with no sidebar and a stale or missing context) until st.navigation
        # has been called: on the first visit at a page's URL, and at every run of AppTest, which
        # resets the mode. Turn that mode off and rerun: the page then runs through app.py.
        PagesManager.uses_pages_directory = False
        st.rerun()
    ctx = st.session_state["contexte"]
    if ctx is None:
        st.stop()
    return ctx


def journaliser_duree(page: str, duree_s: float) -> None:
    """Append this script run's server time to the file named by DIAGNOSTIC_JOURNAL_DUREES, if set
    (one JSON line: time, anonymous session number, page, territory, whether the territory changed
    since the session's previous run, duration). For operators and the load benchmark; off otherwise."""
    chemin = os.environ.get("DIAGNOSTIC_JOURNAL_DUREES")
    if not chemin:
        return
    territoire = _query("territoire", DEFAULT_TERRITOIRE)
    precedent = st.session_state.get("_journal_territoire")
    st.session_state["_journal_territoire"] = territoire
    ligne = {
        "t": round(time.time(), 3),
        "session": st.session_state.setdefault("_journal_session", secrets.token_hex(4)),
        "page": page or "synthese",
        "territoire": territoire,
        "changement": precedent is not None and precedent != territoire,
        "duree_s": round(duree_s, 4),
    }
    try:
        with open(chemin, "a", encoding="utf-8") as journal:
            journal.write(json.dumps(ligne) + "\n")
    except OSError:
        logging.getLogger("diagnostic").warning("journal des durées impossible à écrire : %s", chemin)


def _ligne_source(ctx: Contexte) -> str:
    info = ctx.resultat.source
    return f"Source : {info.libelle} — données du {info.date or 'date inconnue'}"


def graphique(fig, nom: str, ctx: Contexte | None = None, *, key: str | None = None) -> None:
    """Draw a plotly chart with PNG and SVG downloads (rendered by kaleido only when clicked)."""
    from diagnostics.rapport import images

    ctx = ctx or contexte()
    st.plotly_chart(fig, width="stretch", key=key)
    texte_alternatif(fig)
    try:
        images.chemin_chromium()
    except images.ImagesIndisponibles as exc:
        st.caption(f"Téléchargement en image indisponible : {exc}")
        return
    source = _ligne_source(ctx)
    base = key or nom
    colonnes = st.columns([1, 1, 6])
    for colonne, format_ in zip(colonnes, ("png", "svg")):

        def rendre(format_=format_) -> bytes:
            return images.image(images.legender(fig, source), format_, echelle=2.0 if format_ == "png" else 1.0)

        colonne.download_button(
            format_.upper(), data=rendre, file_name=fichiers.nom_fichier(nom, extension=format_),
            mime=fichiers.MIMES[format_], on_click="ignore",
            icon=":material/download:", key=f"telecharger-{base}-{format_}",
            help=f"Télécharger ce graphique en {format_.upper()}",
        )


# Above this many rows the data of a chart is shown as a scrollable grid rather than a long HTML table.
LIGNES_TABLE_MAX = 40


def texte_alternatif(fig) -> None:
    """Under a chart: one sentence of what it shows and its data as a table (WCAG 1.1.1, for screen readers)."""
    from diagnostics.views import alternatives

    alternative = alternatives.alternative(fig)
    # Labels come from the data: markdown characters are escaped, and < > & written as entities, so that they stay text.
    phrase = alternative.phrase.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    st.caption(re.sub(r"([\\`*_\[\]#|~$])", r"\\\1", phrase))
    if alternative.table.empty:
        return
    table = alternative.table_texte()
    with st.expander("Données du graphique (tableau)", icon=":material/table_chart:"):
        if len(table) <= LIGNES_TABLE_MAX:
            st.table(table.set_index(table.columns[0]))
        else:
            st.dataframe(table, hide_index=True)


def seuil_zones_blanches(cle: str, libelle: str, aide: str) -> int:
    """The white-zone distance slider, shared by the pages that use it.

    Each page's slider has its own key (a widget's state ends with its page); "_seuil_km" carries the
    value across pages and `?rayon=` across sessions.
    """
    from diagnostics.views import graphiques_couverture as gc

    if cle not in st.session_state:
        st.session_state[cle] = st.session_state.get("_seuil_km") or gc.seuil_depuis_url(st.query_params.get("rayon"))
    rayon = st.slider(libelle, min_value=gc.SEUIL_MIN_KM, max_value=gc.SEUIL_MAX_KM, step=1, format="%d km", key=cle, help=aide)
    st.session_state["_seuil_km"] = rayon
    st.query_params["rayon"] = str(rayon)
    return rayon


def telecharger_tableau(table: pd.DataFrame, libelle: str, *parties: str, feuille: str = "tableau") -> None:
    """CSV (French spreadsheets, formulas neutralised) and XLSX buttons for a table, built on click;
    the file name is made of `parties`, file-safe."""
    csv_col, xlsx_col, _ = st.columns([1, 1, 2])
    csv_col.download_button(
        f"{libelle} (CSV)", data=lambda: fichiers.csv_tableau(table), mime="text/csv", icon=":material/download:",
        file_name=fichiers.nom_fichier(*parties, extension="csv"), on_click="ignore",
        help="Tableur français : séparateur point-virgule, UTF-8 ; les cellules ne contiennent jamais de formule.",
    )
    xlsx_col.download_button(
        f"{libelle} (XLSX)", data=lambda: fichiers.xlsx_tableau(table, feuille), mime=fichiers.MIMES["xlsx"], icon=":material/download:",
        file_name=fichiers.nom_fichier(*parties, extension="xlsx"), on_click="ignore",
    )


def legende_source(ctx: Contexte) -> None:
    info = ctx.resultat.source
    st.caption(f"Source : {info.libelle} — données du {info.date or 'date inconnue'}. Géographie : COG 2026, populations légales 2023 (INSEE).")


CLE_EVOLUTION = "_evolution_choisie"


def retenir_evolution(ctx: Contexte, evolution_json: dict) -> None:
    """Keep the comparison last shown on the « Évolution » page for the fiche territoire (this session only)."""
    st.session_state[CLE_EVOLUTION] = (ctx.territoire.id, evolution_json)


def evolution_choisie(ctx: Contexte) -> dict | None:
    """The comparison of the current territory last shown on the « Évolution » page, else None."""
    retenue = st.session_state.get(CLE_EVOLUTION)
    return retenue[1] if retenue and retenue[0] == ctx.territoire.id else None
