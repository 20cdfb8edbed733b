"""Lieux: the territory's places in a filterable table (service, public, fees, national scheme, open
now, commune) and the filtered places to download in the standard's CSV, XLSX and GeoJSON."""
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import streamlit as st

import ui
from diagnostics.indicators import horaires
from diagnostics.views import graphiques_offre as g
from diagnostics.views import fichiers
from diagnostics.views import colonnes_territoire as zonage
from diagnostics.indicators import priorites
from diagnostics.views.format import nombre

ctx = ui.contexte()
lieux = ctx.lieux_territoire
suffixe = f"{ctx.territoire.id}_{ctx.source}"  # new territory or source: fresh filters, never stale choices

st.title("Lieux")
st.caption(f"{ctx.territoire.libelle} · {ctx.territoire.niveau_libelle}")
if lieux.empty:
    st.info(
        "Aucun lieu de cette source n'est situé dans le territoire : choisissez un territoire plus large ou une autre source."
    )

choix = {}
colonnes = st.columns(len(g.FILTRES_LIEUX))
for colonne, (champ, titre) in zip(colonnes, g.FILTRES_LIEUX.items()):
    options = ui.memoiser(ctx, "options_filtre", (champ,), lambda champ=champ: g.options_filtre(lieux, champ))
    choix[champ] = colonne.multiselect(
        titre, options=list(options), format_func=options.get, key=f"lieux_{champ}_{suffixe}", placeholder="Tous",
        help="Lieux proposant au moins une des valeurs choisies (entre parenthèses, le nombre de lieux du territoire).",
    )
gauche, droite = st.columns([1, 2])
communes = ui.memoiser(ctx, "options_communes", (), lambda: g.options_communes(lieux))
code_commune = droite.selectbox(
    "Commune", options=list(communes), format_func=communes.get, index=None, key=f"lieux_commune_{suffixe}",
    placeholder="Toutes les communes",
)
ouvert = gauche.checkbox(
    "Ouvert maintenant", key=f"lieux_ouvert_{suffixe}",
    help="Lieux ouverts à cet instant (heure de Paris, heure locale outre-mer) d'après leurs horaires ; "
    "les lieux aux horaires absents ou illisibles sont écartés.",
)
ouverts = None
if ouvert:
    maintenant = datetime.now(ZoneInfo("Europe/Paris"))
    ouverts = horaires.ouvert_a(lieux, maintenant)

filtre_zonage = gauche.selectbox(
    "Territoires prioritaires", options=list(priorites.FILTRES), format_func=priorites.FILTRES.get,
    key=f"lieux_zonage_{suffixe}",
    help="QPV 2024 (contours approximatifs ; un lieu placé au centre de sa commune n'est pas situé) et communes "
    "France Ruralités Revitalisation (classement au 10 juillet 2025).",
)
masque = np.asarray(g.filtrer_lieux(lieux, choix, ouverts=ouverts, code_commune=code_commune), dtype=bool)
if filtre_zonage != "tous":
    masque = masque & priorites.filtre_prioritaire(lieux, filtre_zonage)
choisis = lieux[masque]
st.metric(
    "Lieux affichés", f"{nombre(len(choisis))} sur {nombre(len(lieux))}",
    help="Lieux du territoire (commune dans le territoire) qui répondent à tous les filtres.",
)
if ouverts is not None:
    st.caption(
        f"Ouverts le {maintenant:%d/%m/%Y à %H:%M} (heure de Paris) ; {nombre(int(ouverts.isna().sum()))} lieux "
        "aux horaires absents ou illisibles ne peuvent pas être retenus."
    )
tableau = g.table_lieux(choisis)
colonnes_zonage = ui.memoiser(ctx, "colonnes_zonage_lieux", (), lambda: zonage.colonnes_affichage(lieux))
colonnes_zonage = colonnes_zonage[masque].reset_index(drop=True)
tableau.insert(2, zonage.EN_QPV, colonnes_zonage[zonage.EN_QPV].to_numpy())
tableau.insert(3, zonage.COMMUNE_FRR, colonnes_zonage[zonage.COMMUNE_FRR].to_numpy())
st.dataframe(
    tableau, hide_index=True, width="stretch",
    column_config={
        "Nom": st.column_config.TextColumn(width="medium"),
        "Services": st.column_config.TextColumn(width="large"),
        "Site web": st.column_config.LinkColumn("Site web", display_text=":material/open_in_new:"),
    },
)
ui.legende_source(ctx)
st.caption(
    "En QPV : quartiers prioritaires 2024 (ANCT, contours simplifiés, « non situé » quand la position est celle du "
    "centre de la commune) ; commune FRR : classement France Ruralités Revitalisation au 10 juillet 2025 (DGCL)."
)

st.markdown("**Télécharger les lieux affichés**")
d1, d2, d3, _ = st.columns([1, 1, 1, 1])
d1.download_button(
    "CSV au standard", data=lambda: fichiers.csv_standard(choisis), mime="text/csv", icon=":material/download:",
    file_name=fichiers.nom_fichier("lieux", ctx.territoire.nom, extension="csv"), on_click="ignore",
    help="Standard des lieux de médiation numérique v1 (32 colonnes, UTF-8, séparateur virgule), prêt à être réutilisé.",
)
d2.download_button(
    "Tableur (XLSX)", data=lambda: zonage.xlsx_lieux_territoire(choisis), icon=":material/download:",
    mime=fichiers.MIMES["xlsx"],
    file_name=fichiers.nom_fichier("lieux", ctx.territoire.nom, extension="xlsx"), on_click="ignore",
    help="Les champs du standard dans un tableur, suivis des colonnes du territoire (commune, EPCI, département, "
    "région, en QPV, commune FRR) ; le texte reste du texte (jamais de formule).",
)
d3.download_button(
    "Carte (GeoJSON)", data=lambda: fichiers.geojson_lieux(choisis), mime=fichiers.MIMES["geojson"], icon=":material/download:",
    file_name=fichiers.nom_fichier("lieux", ctx.territoire.nom, extension="geojson"), on_click="ignore",
    help="Points des lieux avec les champs du standard, pour un SIG ou une carte web ; sans coordonnées, géométrie vide.",
)
