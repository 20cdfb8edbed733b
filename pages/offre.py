"""Offre de services: what the territory's places offer, to whom, how and at what cost, when they are
open, and where each service is out of reach."""
import streamlit as st

import ui
from diagnostics.indicators import horaires
from diagnostics.views import graphiques_offre as g
from diagnostics.views import fichiers
from diagnostics.views.format import km, nombre, pourcentage

ctx = ui.contexte()
diag = ui.diagnostic(ctx, parties=("offre", "horaires"))
offre, heures = diag["offre"], diag["horaires"]
profils = offre["profils"]
n = offre["nb_lieux"]

st.title("Offre de services")
st.caption(f"{ctx.territoire.libelle} · {ctx.territoire.niveau_libelle}")
if n == 0:
    st.info(
        "Aucun lieu de cette source n'est situé dans le territoire : choisissez un territoire plus large ou une autre source."
    )

gratuit = next((v for v in profils["frais_a_charge"]["valeurs"] if v["valeur"] == "Gratuit"), None)
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric(
    "Lieux du territoire", nombre(n),
    help="Lieux dont la commune (code INSEE 2026) appartient au territoire ; les lieux voisins n'entrent pas dans ces profils.",
)
c2.metric(
    "Accès gratuit", pourcentage(gratuit["part"] if gratuit else None),
    help="Part des lieux dont les frais à charge comprennent « Gratuit » (sans condition).",
)
c3.metric(
    "Horaires exploitables", pourcentage(heures["exploitables"] / n if n else None),
    help="Part des lieux dont les horaires (syntaxe OSM opening_hours) sont renseignés et lisibles.",
)
c4.metric(
    "Heures par semaine",
    "—" if heures["heures_hebdo_mediane"] is None else f"{nombre(heures['heures_hebdo_mediane'], 1)} h",
    help="Médiane des heures d'ouverture des lieux sur une semaine ordinaire de référence (sans jour férié ni vacances), "
    "parmi les lieux aux horaires exploitables.",
)
c5.metric(
    "Ouverts le samedi", pourcentage(heures["part_ouverts_samedi"]),
    help="Part des lieux aux horaires exploitables ouverts au moins un moment le samedi de la semaine de référence.",
)
ui.legende_source(ctx)

ONGLETS = {
    "Services": ["services"],
    "Publics": ["publics_specifiquement_adresses", "prise_en_charge_specifique"],
    "Frais et dispositifs": ["frais_a_charge", "dispositif_programmes_nationaux"],
    "Modalités": ["modalites_accompagnement", "modalites_acces", "itinerance"],
    "Structures": ["typologie"],
}
onglets = st.tabs([*ONGLETS, "Horaires", "Zones blanches par service"])

for onglet, champs in zip(onglets, ONGLETS.values()):
    with onglet:
        for champ in champs:
            ui.graphique(g.figure_profil(profils[champ], max_valeurs=15), f"offre_{champ}", ctx, key=f"offre_{champ}")
        st.caption(offre["note"])
        ui.legende_source(ctx)

with onglets[len(ONGLETS)]:
    analyse = ui.memoiser(ctx, "analyse_horaires", (), lambda: horaires.analyser_horaires(ctx.lieux_territoire))
    gauche, droite = st.columns(2)
    with gauche:
        ui.graphique(g.figure_heures(analyse["heures_hebdo"]), "heures_par_semaine", ctx, key="offre_heures")
    with droite:
        ui.graphique(g.figure_ouvertures(heures), "ouvertures", ctx, key="offre_ouvertures")
    st.caption(
        f"Semaine de référence : {heures['semaine_reference']}. Ne sont pas comptés {nombre(heures['non_renseignes'])} "
        f"lieux sans horaires et {nombre(heures['non_exploitables'])} aux horaires illisibles (voir la page Qualité des données)."
    )
    ui.legende_source(ctx)

with onglets[len(ONGLETS) + 1]:
    zones = offre.get("zones_blanches_par_service")
    if not zones:
        st.info("Les zones blanches par service ne sont pas disponibles pour ce territoire.")
    else:
        seuil = zones["seuil_km"]
        ui.graphique(g.figure_zones_blanches_services(zones), "zones_blanches_par_service", ctx, key="offre_zones_blanches")
        table = g.table_zones_blanches_services(zones)
        st.dataframe(
            g.format_francais(table, {"Lieux le proposant (voisins compris)": 0, "dont sans position": 0, "Population au-delà": 0,
                                      "Part de la population au-delà (%)": 1, "Communes au-delà": 0}),
            hide_index=True, width="stretch",
        )
        st.caption(
            f"Distance à vol d'oiseau du centre de chaque commune au lieu le plus proche proposant le service, "
            f"lieux voisins jusqu'à 30 km compris ; au-delà de {km(seuil, 0)}, la commune compte en zone blanche du service."
        )
        ui.legende_source(ctx)
        service = st.selectbox(
            "Communes éloignées d'un service", options=[z["service"] for z in zones["services"]], index=None,
            placeholder="Choisir un service…", key=f"offre_service_{ctx.territoire.id}",
            help=f"Liste des communes du territoire à plus de {km(seuil, 0)} de tout lieu proposant ce service.",
        )
        if service:
            loin = ui.memoiser(
                ctx, "communes_sans_service", (service, seuil),
                lambda: g.communes_sans_service(ctx.territoire, ctx.lieux, "services", service, seuil),
            )
            st.write(f"Communes à plus de {km(seuil, 0)} d'un lieu proposant ce service : {nombre(len(loin))}.")
            st.dataframe(
                g.format_francais(loin, {"Population": 0, "Distance au plus proche (km)": 1}),
                hide_index=True, width="stretch",
            )
            st.caption("Distance « — » : aucun lieu connu ne propose ce service.")
            st.download_button(
                "Télécharger la liste (CSV)", data=fichiers.csv_tableau(loin), mime="text/csv", icon=":material/download:",
                file_name=fichiers.nom_fichier("communes_eloignees", service, ctx.territoire.nom, extension="csv"),
                on_click="ignore",
            )
            ui.legende_source(ctx)
