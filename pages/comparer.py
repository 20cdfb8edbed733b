"""Comparer: the territory beside its peers (same-level units of its parent) on chosen indicators, and
beside the territories that contain it."""
import streamlit as st

import ui
import ui_perimetre
from diagnostics.views import graphiques_couverture as gc
from diagnostics.views.format import nombre

PAR_DEFAUT = ["lieux_pour_10000_habitants", "distance_moyenne_km", "zones_blanches_part_population", "accessibilite_moyenne"]
PLURIELS = {"region": "régions", "departement": "départements", "epci": "EPCI", "commune": "communes"}
PLURIELS.update({"arrondissement": "arrondissements", "perimetre": "territoires choisis"})
EN_GRAS = "font-weight: bold; background-color: #E3E3FD"

ctx = ui.contexte()
t = ctx.territoire
parent, niveau = gc.parent_comparaison(t)
pluriel = PLURIELS[niveau]

st.title("Comparer")
st.markdown(f"**{t.libelle}** · {t.niveau_libelle} · {nombre(t.population)} habitants")
if t.niveau == "france":
    st.markdown(f"La France n'a pas d'équivalent : voici ses {pluriel}, côte à côte.")
elif t.niveau == "perimetre":
    st.markdown(ui_perimetre.phrase_pairs(t))
else:
    st.markdown(f"Comparé aux autres {pluriel} de **{parent.libelle}**.")

rayon = ui.seuil_zones_blanches(
    "seuil_km_comparer", "Seuil des zones blanches",
    "Une commune est en zone blanche quand aucun lieu n'est à moins de cette distance à vol d'oiseau.",
)

if ctx.cle_session:
    # This session's own places cover the territory and its surroundings only, not every peer.
    lieux = ctx.lieux
    st.info(
        "La comparaison ne compte que les lieux chargés pour ce territoire et ses abords (30 km) : "
        "les territoires comparés plus éloignés paraissent moins bien servis qu'ils ne le sont."
    )
else:
    with st.spinner(f"Chargement des lieux de {parent.libelle}…"):
        charges = ui.lieux_partages(parent.id, ctx.source)
    lieux = charges.lieux
    if charges.source.repli:
        st.warning(f"Territoires comparés : {charges.source.message}")
table = ui.memoiser(ctx, "table_pairs", (float(rayon),), lambda: gc.table_pairs(t, lieux, rayon_km=rayon))

indicateurs = gc.indicateurs_pairs(rayon)
choisis = st.multiselect(
    "Indicateurs", options=list(indicateurs), default=PAR_DEFAUT, format_func=lambda c: indicateurs[c][0],
    help="Choisissez les indicateurs à comparer ; le graphique montre l'un d'eux.",
)
if not choisis:
    st.info("Choisissez au moins un indicateur à comparer.")
    st.stop()
genres = {c: indicateurs[c][1] for c in choisis}
libelles = {c: st.column_config.Column(indicateurs[c][0]) for c in choisis}

st.header(f"{t.libelle} et les autres {pluriel}", divider="gray")
graphe = st.selectbox("Indicateur du graphique", options=choisis, format_func=lambda c: indicateurs[c][0])
libelle, genre = indicateurs[graphe]
ligne = table[table["est_territoire"]]
if len(ligne):
    st.metric(
        libelle, gc.formater(ligne[graphe].iloc[0], genre),
        delta=f"médiane des autres {pluriel} : {gc.formater(gc.mediane_pairs(table, graphe), genre)}",
        delta_color="off", delta_arrow="off",
        help=f"Valeur du territoire ; en dessous, la médiane des autres {pluriel} de {parent.libelle}.",
    )
ui.graphique(gc.figure_pairs(table, graphe, libelle, genre), "comparaison", ctx)
ui.legende_source(ctx)

vue = table.sort_values(graphe, ascending=False, na_position="last")
en_gras = [EN_GRAS if e else "" for e in vue["est_territoire"]]
st.dataframe(
    vue[["nom", "code", *choisis]]
    .style.format(gc.formateurs({"nom": "texte", "code": "texte", **genres}))
    .apply(lambda _: en_gras),
    hide_index=True,
    width="stretch",
    column_config={"nom": st.column_config.Column("Territoire"), "code": st.column_config.Column("Code"), **libelles},
)
st.caption(f"{nombre(len(table))} {pluriel}" + (f" ; la ligne en gras est {t.libelle}." if len(ligne) else "."))
ui.legende_source(ctx)
export = gc.tableau_export(table, {"nom": "Territoire", "code": "Code", **{c: lib for c, (lib, _) in indicateurs.items()}})
ui.telecharger_tableau(export, "Tableau de comparaison", "comparaison", t.nom, f"{rayon}km", feuille="comparaison")

if t.niveau != "france":
    st.header("Repères : territoires englobants", divider="gray")
    diag = ui.diagnostic(ctx, rayon, parties=("comparaison",))
    reperes = gc.table_reperes(diag, choisis)
    if len(reperes) > 1:
        st.dataframe(
            reperes.style.format(gc.formateurs({"repere": "texte", **genres})),
            hide_index=True,
            width="stretch",
            column_config={"repere": st.column_config.Column("Repère"), **libelles},
        )
        source = (diag["comparaison"] or {}).get("source") or {}
        st.caption(
            f"Ce territoire : {diag['source']['libelle']} — données du {diag['source']['date'] or 'date inconnue'} ; "
            f"repères : {source.get('libelle', 'source inconnue')} — données du {source.get('date') or 'date inconnue'}."
        )
    else:
        st.info(
            "Les repères (département, région, France) sont indisponibles : l'instantané national embarqué est "
            "introuvable ; reprenez une copie complète du dépôt."
        )
