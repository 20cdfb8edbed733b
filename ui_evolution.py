"""Streamlit glue of the « Évolution » page: choosing the « Avant » and « Après » pictures (mirrored in the
URL when shareable), loading them with the right cache, and the comparison cached on their keys.

Shared pictures (snapshot, history, API) and their comparisons sit in `st.cache_resource` keyed by the
pictures' refs, for every session; an uploaded file, a dataspace picture and what is computed from
them stay in this session's `st.session_state`. Kept apart from ui.py so the sidebar's module stays small.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import streamlit as st

import ui
from diagnostics import photos, territories
from diagnostics.dates import date_courte
from diagnostics.evolution import Evolution, comparer
from diagnostics.sources.base import Lieux, SourceIndisponible, SourceInfo
from diagnostics.sources.fichier import FichierIllisible, charger_fichier
from diagnostics.sources.historique import Historique
from diagnostics.views.format import nombre

COTES = {"avant": "Avant", "apres": "Après"}
TYPES_FICHIER = ["csv", "txt", "xlsx", "json", "geojson"]


@dataclass(frozen=True)
class PhotoChargee:
    """A picture picked on one side, read: its places and the key its results are cached under."""

    ref: str
    lieux: Lieux
    cle: str  # the picture's identity ("embarque", "historique:…", "api@<date>", "fichier:<sha>@<date>")
    partagee: bool  # results may be cached for every session


def choix(t: territories.Territoire) -> list[photos.Choix]:
    return photos.choix_disponibles(t.id, avec_dataspace=bool(ui.jeton_dataspace()))


def selection(t: territories.Territoire, disponibles: list[photos.Choix]) -> dict[str, str]:
    """The two selectors side by side; returns {"avant": ref, "apres": ref}. A ref read from the URL that
    names no picture of the list is said, then replaced by the default."""
    defauts = dict(zip(COTES, photos.defauts(disponibles)))
    options = [c.ref for c in disponibles]
    libelles = {c.ref: c.libelle for c in disponibles}
    refs = {}
    for (cote, titre), colonne in zip(COTES.items(), st.columns(2)):
        # Per territory: another territory has other pictures.
        cle = f"evolution_{cote}_{t.id}"
        if st.session_state.get(cle) not in options:
            demande = st.query_params.get(cote)
            ref = photos.resoudre(demande, disponibles, t.id) if demande else None
            if demande and ref is None:
                colonne.warning(
                    f"La photo « {ui.texte_brut(demande[:120])} » demandée dans l'adresse n'est pas disponible pour ce "
                    f"territoire : « {titre} » reprend la photo par défaut ({ui.texte_brut(libelles[defauts[cote]])})."
                )
            st.session_state[cle] = ref or defauts[cote]
        with colonne:
            refs[cote] = st.selectbox(
                f"Photo « {titre} »", options=options, format_func=libelles.get, key=cle,
                help="Instantané embarqué, photos datées de l'historique du territoire (téléchargements et fichiers "
                "ajoutés), téléchargement immédiat depuis l'API nationale ou fichier importé pour cette session.",
            )
            if refs[cote] == photos.FICHIER:
                _televersement(cote, titre)
        if photos.choix_par_ref(disponibles, refs[cote]).partageable:
            st.query_params[cote] = refs[cote]
        elif cote in st.query_params:
            # An uploaded file is this session's only: the address never names it.
            del st.query_params[cote]
    return refs


def _televersement(cote: str, titre: str) -> None:
    fichier = st.file_uploader(
        f"Fichier « {titre} » (CSV, XLSX, JSON, GeoJSON ; {ui.MAX_FICHIER_MO} Mo au plus)",
        type=TYPES_FICHIER, key=f"evolution_televersement_{cote}",
    )
    if fichier is not None:
        contenu = fichier.getvalue()
        if len(contenu) > ui.MAX_FICHIER_MO * 1024 * 1024:
            st.error(f"Fichier trop volumineux ({nombre(len(contenu) / 1e6, 1)} Mo) : la limite est de {ui.MAX_FICHIER_MO} Mo.")
        else:
            st.session_state[f"_evolution_fichier_{cote}"] = (fichier.name, contenu)
    st.date_input(
        "Date des données (facultatif)", value=None, max_value=dt.date.today(), format="DD/MM/YYYY",
        key=f"evolution_date_{cote}", help="Sans date, celle de la fiche la plus récemment mise à jour du fichier.",
    )
    st.checkbox(
        "Ajouter ce fichier à l'historique partagé du territoire", value=False, key=f"evolution_ajouter_{cote}",
        help="Le fichier devient une photo datée que toute personne consultant ce territoire pourra comparer. "
        "Sans cette case, il reste propre à cette session.",
    )


def charger(t: territories.Territoire, cote: str, ref: str, disponibles: list[photos.Choix]) -> PhotoChargee | None:
    """The picture of one side, or None (said on the page) when it cannot be read or is not uploaded yet."""
    titre = COTES[cote]
    if ref == photos.FICHIER:
        return _fichier(t, cote, titre)
    try:
        if ref in (photos.EMBARQUE, photos.API):
            lieux = ui.lieux_partages(t.id, ref)
            if ref == photos.API and lieux.source.repli:
                st.warning(f"« {titre} » : {ui.texte_brut(lieux.source.message)}")
            # A failed download serves the snapshot: the same picture as « embarque ».
            cle = photos.EMBARQUE if ref == photos.EMBARQUE or lieux.source.repli else f"api@{lieux.source.date}"
            return PhotoChargee(ref, lieux, cle, partagee=True)
        if photos.source_du_choix(ref, disponibles) == "dataspace":
            # Read with a token's rights: kept in this session only.
            memo = ui._memo_session()
            if ("photo", t.id, ref) not in memo:
                memo[("photo", t.id, ref)] = photos.charger(ref, t)
            return PhotoChargee(ref, memo[("photo", t.id, ref)], ref, partagee=False)
        return PhotoChargee(ref, _photo_partagee(t.id, ref), ref, partagee=True)
    except SourceIndisponible as exc:
        st.error(f"« {titre} » : {ui.texte_brut(str(exc))}")
        return None


@st.cache_resource(show_spinner="Lecture de la photo…", max_entries=50)
def _photo_partagee(identifiant: str, ref: str) -> Lieux:
    # A history picture never changes under its ref: cached for every session.
    return photos.charger(ref, ui.territoire(identifiant))


def _fichier(t: territories.Territoire, cote: str, titre: str) -> PhotoChargee | None:
    televerse = st.session_state.get(f"_evolution_fichier_{cote}")
    if televerse is None:
        st.info(f"« {titre} » : importez un fichier de lieux (CSV, XLSX, JSON ou GeoJSON, standard v0 ou v1).")
        return None
    nom, contenu = televerse
    digest = hashlib.sha256(contenu).hexdigest()[:16]
    memo = ui._memo_session()
    if ("fichier", digest) not in memo:
        try:
            with st.spinner("Lecture du fichier…"):
                memo[("fichier", digest)] = charger_fichier(contenu, nom)
        except FichierIllisible as exc:
            st.error(f"« {titre} » : {ui.texte_brut(str(exc))}")
            return None
    complet = memo[("fichier", digest)]
    date = st.session_state.get(f"evolution_date_{cote}")
    jour = date.isoformat() if isinstance(date, dt.date) else None
    lieux = photos.fichier_du_territoire(complet, t, jour)
    if st.session_state.get(f"evolution_ajouter_{cote}"):
        _ajouter_a_l_historique(t, nom, contenu, jour or lieux.source.date[:10] or dt.date.today().isoformat(), len(complet.lieux))
    return PhotoChargee(photos.FICHIER, lieux, f"fichier:{digest}@{jour or ''}", partagee=False)


def _ajouter_a_l_historique(t: territories.Territoire, nom: str, contenu: bytes, jour: str, lignes: int) -> None:
    """Only when the person ticked the box: the file becomes a picture everyone may compare."""
    memo = ui._memo_session()
    cle = ("historique_ajoute", t.id, hashlib.sha256(contenu).hexdigest(), jour)
    if cle not in memo:
        try:
            memo[cle] = Historique().ajouter_fichier(contenu, nom, t.id, jour, lignes)
        except (ValueError, OSError) as exc:
            st.error(f"Ajout à l'historique impossible : {ui.texte_brut(str(exc))}")
            return
    st.success(f"Ajouté à l'historique du territoire : {ui.texte_brut(memo[cle].libelle)}.")


def meme_photo(avant: PhotoChargee, apres: PhotoChargee) -> bool:
    return avant.cle == apres.cle


def calculer(t: territories.Territoire, avant: PhotoChargee, apres: PhotoChargee, nom: str, calcul, rayon_km: float):
    """`calcul()` cached for every session when both pictures are shared, else for this session."""
    cle = (nom, t.id, avant.cle, apres.cle, float(rayon_km))
    if avant.partagee and apres.partagee:
        return _partage(cle, calcul)
    memo = ui._memo_session()
    if cle not in memo:
        memo[cle] = calcul()
    return memo[cle]


@st.cache_resource(show_spinner="Comparaison des deux photos…", max_entries=100)
def _partage(cle: tuple, _calcul):
    # `_calcul` is not hashed: the key (what, territory, both pictures' keys, radius) determines it.
    return _calcul()


def evolution(t: territories.Territoire, avant: PhotoChargee, apres: PhotoChargee, rayon_km: float) -> Evolution:
    return calculer(
        t, avant, apres, "evolution", lambda: comparer(t, avant.lieux, apres.lieux, rayon_km=rayon_km), rayon_km
    )


def contexte_graphiques(t: territories.Territoire, avant: PhotoChargee, apres: PhotoChargee) -> ui.Contexte:
    """A context whose source line names both pictures (charts' downloads and captions say it)."""
    a, b = avant.lieux.source, apres.lieux.source
    info = SourceInfo(
        nom="evolution", libelle=f"avant : {a.libelle} ({date_courte(a.date)}) ; après : {b.libelle}", date=date_courte(b.date),
    )
    return ui.Contexte(territoire=t, source="evolution", resultat=Lieux(lieux=apres.lieux.lieux, source=info),
                       cle_session="" if avant.partagee and apres.partagee else f"{avant.cle}|{apres.cle}")
