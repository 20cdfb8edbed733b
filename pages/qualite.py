"""Qualité des données: freshness, completeness, duplicate candidates, unreadable hours, positions and
contacts of the territory's places, and the per-place to-do list saying where each record is corrected."""
import streamlit as st

import ui
from diagnostics.indicators import priorites
from diagnostics.indicators import qualite
from diagnostics.views import graphiques_offre as g
from diagnostics.views import fichiers
from diagnostics.views.format import nombre, pourcentage

ctx = ui.contexte()
diag = ui.diagnostic(ctx, parties=("qualite", "horaires"))
resume, heures = diag["qualite"], diag["horaires"]
lieux = ctx.lieux_territoire
n = resume["nb_lieux"]
paires = ui.memoiser(ctx, "doublons", (), lambda: qualite.doublons(lieux))
todo = ui.memoiser(
    ctx, "a_faire", (),
    lambda: qualite.a_faire(lieux, paires_doublons=paires),
)
criteres = ui.memoiser(ctx, "criteres_completude", (), lambda: qualite.criteres_remplis(lieux))
scores = ui.memoiser(ctx, "completude", (), lambda: qualite.completude(lieux))

st.title("Qualité des données")
annee, mois, jour = resume["reference"].split("-")
st.caption(f"{ctx.territoire.libelle} · {ctx.territoire.niveau_libelle} · état au {jour}/{mois}/{annee}")
if n == 0:
    st.info(
        "Aucun lieu de cette source n'est situé dans le territoire : choisissez un territoire plus large ou une autre source."
    )

fraicheur = {f["classe"]: f for f in resume["fraicheur"]}
positions = resume["positions"]
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(
    "Fiches à actualiser", pourcentage(fraicheur[qualite.A_ACTUALISER]["part"]),
    help="Part des fiches mises à jour il y a 18 mois ou plus, ou sans date de mise à jour exploitable "
    "(classes de fraîcheur de Mon Inclusion Numérique).",
)
c2.metric(
    "Complétude moyenne",
    "—" if resume["completude"]["moyenne"] is None else f"{nombre(resume['completude']['moyenne'], 1)}\u202f%",
    help="Moyenne du score de complétude des fiches : 24 critères de la Cartographie nationale, pondérés 2 ou 1 (total 43).",
)
c3.metric(
    "Doublons probables", nombre(len(paires)),
    help="Paires de lieux d'une même commune dont le nom, l'adresse et la position se ressemblent "
    "(score d'au moins 80 %) : probablement le même lieu publié deux fois.",
)
c4.metric(
    "Horaires illisibles", nombre(heures["non_exploitables"]),
    help="Lieux dont les horaires ne suivent pas la syntaxe OSM opening_hours du standard.",
)
c5.metric(
    "Positions à corriger", nombre(positions["manquantes"] + positions["approximatives"] + positions["hors_commune"]),
    help="Lieux sans coordonnées, placés au centre de leur commune faute d'adresse géolocalisée, "
    "ou dont les coordonnées tombent hors de la commune indiquée.",
)
ui.legende_source(ctx)

st.subheader("Fraîcheur des fiches")
ui.graphique(g.figure_fraicheur(resume["fraicheur"]), "fraicheur", ctx, key="qualite_fraicheur")
st.caption("Âge de la date de dernière mise à jour (date_maj) en mois calendaires ; les dates fictives (1970) comptent comme absentes.")
ui.legende_source(ctx)

st.subheader("Complétude des fiches")
gauche, droite = st.columns(2)
with gauche:
    ui.graphique(g.figure_completude(scores, resume["completude"]["seuil"]), "completude", ctx, key="qualite_completude")
with droite:
    ui.graphique(g.figure_criteres(criteres), "criteres_completude", ctx, key="qualite_criteres")
ui.legende_source(ctx)

st.subheader("Doublons probables")
doublons = g.table_doublons(lieux, paires)
st.write(f"Paires de fiches décrivant probablement le même lieu : {nombre(len(doublons))}.")
st.dataframe(
    g.format_francais(doublons, {"Ressemblance (%)": 0, "Distance (m)": 0}), hide_index=True, width="stretch",
)
ui.legende_source(ctx)
st.download_button(
    "Doublons probables (CSV)", data=lambda: fichiers.csv_tableau(doublons), mime="text/csv", icon=":material/download:",
    file_name=fichiers.nom_fichier("doublons", ctx.territoire.nom, extension="csv"), on_click="ignore",
)

st.subheader("Horaires, positions et contacts")
gauche, droite = st.columns(2)
with gauche:
    st.markdown("**Horaires illisibles**")
    illisibles = g.table_horaires_illisibles(heures)
    if illisibles.empty:
        st.write("Aucun horaire illisible.")
    else:
        st.dataframe(g.format_francais(illisibles, {"Lieux": 0}), hide_index=True, width="stretch")
        if heures["nb_valeurs_non_exploitables"] > len(illisibles):
            st.caption(f"Les {nombre(len(illisibles))} valeurs les plus fréquentes sur {nombre(heures['nb_valeurs_non_exploitables'])}.")
with droite:
    st.markdown("**Positions et contacts**")
    st.dataframe(g.format_francais(g.table_positions_contacts(resume), {"Lieux": 0}), hide_index=True, width="stretch")
ui.legende_source(ctx)

st.subheader("Qualité des lieux des territoires prioritaires")
par_zone = ui.memoiser(ctx, "qualite_par_zone", (), lambda: priorites.qualite_par_zone(lieux))
st.dataframe(par_zone, hide_index=True, width="stretch", column_config={
    "Part à jour": st.column_config.NumberColumn(format="percent"),
    "Part avec horaires": st.column_config.NumberColumn(format="percent"),
})
st.caption(
    "QPV 2024 (ANCT, contours simplifiés) et communes France Ruralités Revitalisation (classement au 10 juillet "
    "2025). Un lieu placé au centre de sa commune ne peut pas être situé dans ou hors d'un QPV : géolocalisez son "
    "adresse pour qu'il compte."
)
ui.telecharger_tableau(par_zone, "Qualité par zone", "qualite_territoires_prioritaires", ctx.territoire.nom, feuille="zones")

st.subheader("À faire, fiche par fiche")
st.write(
    f"Fiches ayant au moins un point à corriger : {nombre(len(todo))} sur {nombre(len(lieux))}. Chaque fiche se corrige là où elle "
    "est publiée : sa source (DORA, La Coop de la médiation numérique, Aidants Connect, un hub régional…)."
)
comptes = g.comptes_problemes(todo)
lieux_correction = todo["ou_corriger"].value_counts()
communes = ui.memoiser(ctx, "options_communes", (), lambda: g.options_communes(lieux))
suffixe = f"{ctx.territoire.id}_{ctx.source}"
f1, f2, f3 = st.columns(3)
codes = f1.multiselect(
    "Problèmes", options=list(comptes), key=f"qualite_codes_{suffixe}", placeholder="Tous les problèmes",
    format_func=lambda code: f"{g.libelle_probleme(code)} ({nombre(comptes[code])})",
)
ou = f2.multiselect(
    "Où corriger", options=list(lieux_correction.index), key=f"qualite_ou_{suffixe}", placeholder="Partout",
    format_func=lambda lieu: f"{lieu} ({nombre(lieux_correction[lieu])})",
)
commune = f3.selectbox(
    "Commune", options=list(communes), format_func=communes.get, index=None, key=f"qualite_commune_{suffixe}",
    placeholder="Toutes les communes",
)
choisis = g.filtrer_a_faire(todo, codes, ou, commune)
table = g.table_a_faire(choisis, lieux)
st.metric("Fiches affichées", f"{nombre(len(table))} sur {nombre(len(todo))}")
st.dataframe(table, hide_index=True, width="stretch")
ui.legende_source(ctx)
ui.telecharger_tableau(table, "Liste à faire", "a_faire", ctx.territoire.nom, feuille="à faire")

