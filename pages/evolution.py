"""Évolution: what changed in the territory's offer between two pictures of its places — headline figures
before and after, openings and closures by dispositif, a map of the changes, and every change as a table."""
import streamlit as st
from streamlit_folium import st_folium

import ui
import ui_evolution
from diagnostics.dates import date_courte
from diagnostics.views import assets, fichiers
from diagnostics.views import carte_evolution as ce
from diagnostics.views import graphiques_evolution as ge
from diagnostics.views import tableaux_evolution as te
from diagnostics.views.carte import dessiner_carte
from diagnostics.views.format import nombre

ctx = ui.contexte()
t = ctx.territoire
st.title("Évolution")
st.markdown(f"**{t.libelle}** · {t.niveau_libelle} · {nombre(t.population)} habitants")
st.caption(
    "Comparez deux photos des lieux du territoire : l'instantané embarqué, les photos datées de l'historique "
    "(chaque téléchargement réussi depuis l'API nationale ou le dataspace y est gardé), un téléchargement immédiat "
    "ou un fichier importé."
)

disponibles = ui_evolution.choix(t)
refs = ui_evolution.selection(t, disponibles)
avant = ui_evolution.charger(t, "avant", refs["avant"], disponibles)
apres = ui_evolution.charger(t, "apres", refs["apres"], disponibles)
if avant is None or apres is None:
    st.stop()
if ui_evolution.meme_photo(avant, apres):
    st.info(
        "Les photos « Avant » et « Après » sont la même : choisissez deux photos différentes pour voir ce qui a changé "
        "(l'historique s'enrichit à chaque téléchargement depuis l'API nationale ; un fichier daté peut aussi y être ajouté)."
    )
    st.stop()

rayon = ui.seuil_zones_blanches(
    "evolution_rayon", "Distance des zones blanches",
    "Une commune est en zone blanche quand aucun lieu n'est à moins de cette distance (à vol d'oiseau) de son centre.",
)
evolution = ui_evolution.evolution(t, avant, apres, rayon)
ui.retenir_evolution(ctx, evolution.to_json())  # offered as a part of the fiche territoire
ctx_graphiques = ui_evolution.contexte_graphiques(t, avant, apres)
for titre, photo in (("Avant", avant), ("Après", apres)):
    info = photo.lieux.source
    st.caption(f"**{titre}** : {ui.texte_brut(info.libelle)} — données du {date_courte(info.date)}")

st.header("Chiffres clés", divider="gray")
cartes = te.cartes_indicateurs(evolution)
# Two cards a row: « 5 165 064 → 5 180 212 » needs the width.
for rang in (cartes[i:i + 2] for i in range(0, len(cartes), 2)):
    for colonne, carte in zip(st.columns(2), rang):
        colonne.metric(
            carte.libelle, carte.valeur, delta=carte.delta or None,
            delta_color="inverse" if carte.inverse else "normal", help=carte.aide,
        )
for colonne, (libelle, n) in zip(st.columns(4), te.comptes_changements(evolution).items()):
    colonne.metric(f"Lieux {libelle.lower()}", nombre(n))
st.markdown("\n".join(f"- {ui.texte_brut(phrase)}" for phrase in evolution.resume()))
if evolution.avertissements:
    with st.expander(f"Avertissements ({len(evolution.avertissements)})", icon=":material/warning:"):
        for avertissement in evolution.avertissements:
            st.warning(ui.texte_brut(avertissement))

st.header("Ouvertures et fermetures", divider="gray")
onglet_dispositif, onglet_typologie = st.tabs(["Par dispositif", "Par typologie"])
with onglet_dispositif:
    ui.graphique(ge.figure_ouvertures(evolution, "dispositif"), "evolution_dispositifs", ctx_graphiques, key="evolution_dispositifs")
with onglet_typologie:
    ui.graphique(ge.figure_ouvertures(evolution, "typologie"), "evolution_typologies", ctx_graphiques, key="evolution_typologies")
st.caption("Un lieu rattaché à plusieurs dispositifs ou typologies compte sous chacun.")

st.header("Carte des changements", divider="gray")
manquants = assets.message_assets_manquants()
if manquants:
    st.warning(manquants)
fond = st.radio(
    "Fond de carte", options=["aucun", "osm"], horizontal=True, key="evolution_fond",
    format_func={"aucun": "Sans fond (hors ligne)", "osm": "OpenStreetMap (en ligne)"}.get,
    help="Sans fond, la carte ne fait appel à aucun site extérieur ; le fond OpenStreetMap télécharge les tuiles en ligne.",
)


def _carte():
    communes, zones, contour = ce.fond_territoire(t)
    return ce.preparer_carte_evolution(evolution, communes, contour, communes_zones=zones)


# The layers are prepared once as text; the folium map is drawn again at each run (a folium Map
# rendered a second time comes out with broken layer references).
preparee = ui_evolution.calculer(t, avant, apres, "carte_evolution", _carte, rayon)
carte = dessiner_carte(preparee, fond=fond, assets_base=assets.base_streamlit(st.get_option("server.baseUrlPath") or ""))
st_folium(carte, height=560, width=None, returned_objects=[], key=f"carte_evolution-{t.id}-{avant.cle}-{apres.cle}-{fond}")
st.caption("Contours des communes : IGN ADMIN EXPRESS 2018 recodés au COG 2026 (Licence Ouverte).")

st.header("Tous les changements", divider="gray")
changements = te.table_changements(evolution)
suffixe = f"{t.id}_{avant.cle}_{apres.cle}"
f1, f2, f3, f4 = st.columns(4)
types = f1.multiselect("Changement", options=sorted(changements["Changement"].unique()), key=f"evolution_types_{suffixe}",
                       placeholder="Tous")
familles = f2.multiselect("Famille de champs", options=sorted(v for v in changements["Famille"].unique() if v),
                          key=f"evolution_familles_{suffixe}", placeholder="Toutes")
dispositifs = f3.multiselect("Dispositif", options=te.valeurs_liste(changements, "Dispositifs"),
                             key=f"evolution_dispositifs_{suffixe}", placeholder="Tous")
commune = f4.text_input("Commune (nom ou code)", key=f"evolution_commune_{suffixe}", max_chars=100)
choisis = te.filtrer_changements(changements, types, familles, dispositifs, commune)
st.metric("Changements affichés", f"{nombre(len(choisis))} sur {nombre(len(changements))}")
st.dataframe(choisis, hide_index=True, width="stretch")
ui.telecharger_tableau(choisis, "Changements affichés", "evolution_changements", t.nom, feuille="changements")
st.download_button(
    "Classeur complet de l'évolution (XLSX)", data=lambda: te.xlsx_evolution(evolution), mime=fichiers.MIMES["xlsx"],
    file_name=fichiers.nom_fichier("evolution", t.nom, extension="xlsx"), icon=":material/download:", on_click="ignore",
    help="Indicateurs avant et après, tous les changements, communes en zone blanche, comptes par dispositif et par typologie.",
)

st.header("Communes entrées ou sorties des zones blanches", divider="gray")
communes_zones = te.table_communes(evolution)
if communes_zones.empty:
    st.write(f"Aucune commune n'est entrée ni sortie des zones blanches (à plus de {evolution.rayon_km:g} km d'un lieu).")
else:
    st.dataframe(communes_zones, hide_index=True, width="stretch")
    ui.telecharger_tableau(communes_zones, "Communes", "evolution_zones_blanches", t.nom, feuille="zones blanches")

st.header("Indicateurs avant et après", divider="gray")
st.dataframe(te.table_indicateurs(evolution), hide_index=True, width="stretch")
st.caption(f"Zones blanches : communes à plus de {evolution.rayon_km:g} km à vol d'oiseau de tout lieu ; "
           "fiches à jour : mises à jour moins de 6 mois avant la date de la photo.")
