"""Carte: the territory's places by dispositif over a commune choropleth, white zones, neighbours faded."""
import streamlit as st
from streamlit_folium import st_folium

import ui
from diagnostics.views import assets
from diagnostics.views.carte_donnees import INDICATEURS_CARTE, couches_carte
from diagnostics.views.carte import dessiner_carte, preparer_carte
from diagnostics.views.carte_zonage import couches_zonage
from diagnostics.indicators.priorites import FILTRES as FILTRES_ZONAGE
from diagnostics.indicators.priorites import filtre_prioritaire

ctx = ui.contexte()
t = ctx.territoire
st.title(f"Carte — {t.libelle}")

manquants = assets.message_assets_manquants()
if manquants:
    st.warning(manquants)

gauche, droite, fond_col = st.columns([2, 1, 1])
indicateur = gauche.selectbox(
    "Colorer les communes selon", options=list(INDICATEURS_CARTE), format_func=lambda k: INDICATEURS_CARTE[k][0],
    index=list(INDICATEURS_CARTE).index(st.query_params.get("indicateur", "ifn")) if st.query_params.get("indicateur", "ifn") in INDICATEURS_CARTE else 0,
)
st.query_params["indicateur"] = indicateur
rayon = droite.select_slider("Zones blanches au-delà de", options=[5, 10, 15, 20], value=10, format_func=lambda v: f"{v} km")
fond = fond_col.radio(
    "Fond de carte", options=["aucun", "osm"], format_func={"aucun": "Sans fond (hors ligne)", "osm": "OpenStreetMap (en ligne)"}.get,
    help="Sans fond, la carte ne fait appel à aucun site extérieur ; le fond OpenStreetMap télécharge les tuiles en ligne.",
)
zonage = st.selectbox(
    "Lieux affichés", options=list(FILTRES_ZONAGE), format_func=FILTRES_ZONAGE.get, key=f"carte_zonage_{t.id}",
    help="Territoires prioritaires : quartiers prioritaires de la politique de la ville (QPV 2024, contours "
    "approximatifs ; un lieu placé au centre de sa commune n'est pas situé) et communes France Ruralités "
    "Revitalisation (classement au 10 juillet 2025). Les contours se montrent et se cachent dans le sélecteur de couches.",
)


def _carte():
    if t.niveau == "france":
        couches = couches_carte(t, ctx.lieux, None, rayon_km=rayon, table_departements=ui.table_unites(ctx, "departement"))
    else:
        couches = couches_carte(t, ctx.lieux, ui.table_communes(ctx, rayon), rayon_km=rayon)
    lieux = couches.lieux[filtre_prioritaire(couches.lieux, zonage)]
    preparee = preparer_carte(
        lieux, couches.polygones, couches.contour, indicateur=couches.colonne(indicateur),
        libelle_indicateur=INDICATEURS_CARTE[indicateur][0], classes=INDICATEURS_CARTE[indicateur][1],
        zones_blanches=couches.zones_blanches, lieux_voisins=couches.lieux_voisins,
        couches_sup=couches_zonage(t, None if t.niveau == "france" else couches.polygones),
    )
    return preparee, couches.note


# The map's layers are prepared once as text and shared; the folium map is drawn again at each run
# (a folium Map rendered a second time, by another session, comes out with broken layer references).
preparee, note = ui.memoiser(ctx, "carte", (rayon, indicateur, zonage), _carte)
carte = dessiner_carte(preparee, fond=fond, assets_base=assets.base_streamlit(st.get_option("server.baseUrlPath") or ""))
st_folium(carte, height=640, width=None, returned_objects=[], key=f"carte-{t.id}-{indicateur}-{rayon}-{fond}-{zonage}")
if note:
    st.caption(note)
ui.legende_source(ctx)
st.caption("Contours des communes : IGN ADMIN EXPRESS 2018 recodés au COG 2026 (Licence Ouverte).")
