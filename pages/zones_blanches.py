"""Zones blanches et priorités: communes far from any place at the chosen threshold, the priority
ranking of communes, and where new places would cover the most inhabitants."""
import streamlit as st
from streamlit_folium import st_folium

import ui
from diagnostics.indicators import fragilite, implantation
from diagnostics.indicators.distances import METHODE as METHODE_DISTANCE
from diagnostics.indicators.par_commune import COLONNES
from diagnostics.places import dans_territoire
from diagnostics.views import assets
from diagnostics.views import fichiers
from diagnostics.views import graphiques_couverture as gc
from diagnostics.views.format import km, nombre, pourcentage

COLONNES_TABLEAU = [
    "rang_priorite", "nom", "code", "population", "distance_km", "zone_blanche", "nb_lieux",
    "lieux_pour_10000_habitants", "acces_10000", "ifn", "libelle_ifn", "score_priorite", "motif_priorite",
]

ctx = ui.contexte()
t = ctx.territoire
st.title("Zones blanches et priorités")
st.markdown(f"**{t.libelle}** · {t.niveau_libelle} · {nombre(t.population)} habitants")

rayon = ui.seuil_zones_blanches(
    "seuil_km_zones", "Seuil de distance",
    "Une commune est en zone blanche quand aucun lieu d'inclusion numérique n'est à moins de cette distance "
    "à vol d'oiseau de son point intérieur (lieux des territoires voisins compris).",
)

diag = ui.diagnostic(ctx, rayon, parties=())
table = ui.table_communes(ctx, rayon)
part_blanche = diag["zones_blanches_part_population"]
part_couverte = None if part_blanche is None else 1 - part_blanche

c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Communes en zone blanche", f"{nombre(diag['zones_blanches_nb_communes'])} sur {nombre(diag['nb_communes'])}",
    help=f"Communes dont le point intérieur est à plus de {rayon} km à vol d'oiseau du lieu le plus proche.",
)
c2.metric(
    "Habitants en zone blanche", f"{nombre(diag['zones_blanches_population'])} ({pourcentage(part_blanche, 1)})",
    help=f"Population municipale 2023 des communes à plus de {rayon} km d'un lieu, et sa part dans celle du territoire.",
)
c3.metric(
    f"Population à moins de {rayon} km", pourcentage(part_couverte, 1),
    help="Part des habitants dont la commune a un lieu à moins du seuil (depuis son point intérieur, à vol d'oiseau).",
)
c4.metric(
    "Distance médiane", km(diag["distance_mediane_km"]),
    help="La moitié de la population vit à moins de cette distance du lieu le plus proche (médiane pondérée).",
)
if diag["avertissements"]:
    with st.expander(f"Limites des données pour ces distances ({len(diag['avertissements'])})", icon=":material/warning:"):
        for avertissement in diag["avertissements"]:
            st.warning(avertissement)

st.header("Couverture selon la distance", divider="gray")
courbes, source_references = ui.memoiser(ctx, "courbes_references", (), lambda: gc.courbes_nationales(t))
col_courbe, col_repartition = st.columns(2)
with col_courbe:
    courbe = gc.courbe_couverture(table["distance_km"], table["population"])
    ui.graphique(gc.figure_courbes(courbe, t.libelle, courbes, rayon), "courbe_couverture", ctx)
with col_repartition:
    repartition = gc.repartition_distances(table["distance_km"], table["population"], rayon)
    ui.graphique(gc.figure_distances(repartition, rayon), "distances", ctx)
ui.legende_source(ctx)
if source_references is not None:
    st.caption(
        f"Courbes des territoires englobants : {source_references.libelle} — données du "
        f"{source_references.date or 'date inconnue'}. Distances : {METHODE_DISTANCE}."
    )

st.header("Communes en zone blanche", divider="gray")
if diag["zones_blanches"]:
    ui.graphique(gc.figure_zones_blanches(diag["zones_blanches"], rayon), "zones_blanches", ctx)
    ui.legende_source(ctx)
else:
    st.success(f"Toutes les communes du territoire ont un lieu d'inclusion numérique à moins de {rayon} km.")

st.header("Communes à prioriser", divider="gray")
ui.graphique(gc.figure_priorites(table), "priorites", ctx)
# Formatted in French by a Styler, which pandas caps in cells: the screen shows the head of the ranking.
affichees = table[COLONNES_TABLEAU].head(gc.MAX_LIGNES_ECRAN)
st.dataframe(
    affichees.style.format(gc.formateurs({c: gc.GENRES_COMMUNES[c] for c in COLONNES_TABLEAU})),
    hide_index=True,
    width="stretch",
    column_config={
        c: st.column_config.Column(COLONNES[c][0], help=f"Unité : {COLONNES[c][1]}" if COLONNES[c][1] else None)
        for c in COLONNES_TABLEAU
    },
)
if len(table) > len(affichees):
    st.caption(
        f"Les {nombre(len(affichees))} premières communes du classement sur {nombre(len(table))} : "
        "le téléchargement les contient toutes."
    )
ui.legende_source(ctx)
with st.expander("Méthode du score de priorité", icon=":material/info:"):
    st.markdown(fragilite.METHODE_PRIORITES)
    st.markdown(fragilite.AVERTISSEMENT_PONDERATION)
classement = gc.tableau_export(table, {c: libelle for c, (libelle, _) in COLONNES.items()})
ui.telecharger_tableau(classement, "Classement des communes", "priorites", t.nom, f"{rayon}km", feuille="priorites")

st.header("Où ouvrir de nouveaux lieux ?", divider="gray")
nb_sites = st.slider(
    "Nombre de nouveaux lieux", min_value=1, max_value=10, value=5, key="nb_sites",
    help="Simulation : chaque nouveau lieu est placé au point intérieur d'une commune et couvre les communes "
    f"à moins de {rayon} km.",
)
sites = ui.memoiser(
    ctx, "ou_ouvrir", (float(rayon), nb_sites), lambda: gc.ou_ouvrir_territoire(t, table, nb_sites, rayon)
)
if sites.empty:
    st.success(f"Tous les habitants ont déjà un lieu à moins de {rayon} km : un nouveau lieu ne couvrirait personne de plus.")
else:
    nouveaux = int(sites["population_nouvellement_couverte"].sum())
    apres = float(sites["part_population_couverte"].iloc[-1])
    s1, s2, s3 = st.columns(3)
    s1.metric(
        "Habitants nouvellement couverts", nombre(nouveaux),
        help=f"Habitants des zones blanches qui auraient un lieu à moins de {rayon} km avec les lieux proposés.",
    )
    s2.metric(
        f"Population à moins de {rayon} km après ouverture", pourcentage(apres, 1),
        delta=f"+{pourcentage(apres - part_couverte, 1)}" if part_couverte is not None else None,
        help="Part de la population du territoire à moins du seuil d'un lieu, lieux existants et proposés compris.",
    )
    s3.metric(
        "Communes en zone blanche restantes",
        nombre(diag["zones_blanches_nb_communes"] - int(sites["communes_nouvellement_couvertes"].sum())),
        help="Communes toujours à plus du seuil d'un lieu après les ouvertures proposées.",
    )
    if len(sites) < nb_sites:
        st.info(f"{len(sites)} lieux suffisent à couvrir toute la population à moins de {rayon} km.")
    col_graphe, col_carte = st.columns(2)
    with col_graphe:
        ui.graphique(gc.figure_sites(sites), "sites_proposes", ctx)
    with col_carte:
        manquants = assets.message_assets_manquants()
        if manquants:
            st.warning(manquants)
        else:
            base = assets.base_streamlit(st.get_option("server.baseUrlPath"))
            dedans = dans_territoire(ctx.lieux, t)
            # Built at each run, never cached: a folium Map rendered twice comes out broken.
            carte = gc.carte_sites(
                t, sites, [z["code"] for z in diag["zones_blanches"]], rayon,
                lieux=ctx.lieux[dedans], lieux_voisins=ctx.lieux[~dedans], assets_base=base,
            )
            # streamlit-folium draws a map once per key: a new key for each set of sites redraws it.
            st_folium(
                carte, key=f"carte_sites-{'-'.join(ctx.cle)}-{rayon}-{nb_sites}", height=460,
                width=None, returned_objects=[],
            )
            st.caption(
                f"Numéros : lieux proposés dans l'ordre ; cercles : {rayon} km autour de chacun ; "
                "tirets : zones blanches actuelles."
            )
    st.dataframe(
        sites.style.format(gc.formateurs({c: genre for c, (_, genre) in gc.COLONNES_SITES.items()})),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.Column(libelle) for c, (libelle, _) in gc.COLONNES_SITES.items()},
    )
    ui.legende_source(ctx)
    st.caption(f"Méthode : {implantation.METHODE}. Une commune compte pour toute sa population.")
    propositions = gc.tableau_export(sites, {c: libelle for c, (libelle, _) in gc.COLONNES_SITES.items()})
    st.download_button(
        "Lieux proposés (CSV)", data=lambda: fichiers.csv_tableau(propositions),
        file_name=fichiers.nom_fichier("nouveaux-lieux", t.nom, f"{rayon}km", extension="csv"), mime="text/csv",
        icon=":material/download:", on_click="ignore",
    )
