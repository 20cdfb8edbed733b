"""Synthèse: headline figures against the parents, a paragraph written from them, the key charts."""
import streamlit as st

import ui
import ui_perimetre
from diagnostics import perimetres, territories
from diagnostics.indicators import qualite
from diagnostics.views import definitions
from diagnostics.views.format import km, nombre, pourcentage
from diagnostics.views.graphiques_synthese import couverture_par_seuil, population_par_classe_ifn
from diagnostics.views.texte import synthese
from diagnostics.views.texte_priorites import cartes_priorites

ctx = ui.contexte()
t = ctx.territoire
diag = ui.diagnostic(ctx, parties=("comparaison", "fragilite", "territoires_prioritaires", "moyens_humains"))
fraicheur = ui.memoiser(ctx, "fraicheur", (), lambda: qualite.repartition_fraicheur(ctx.lieux_territoire))
diag = {**diag, "qualite": {"nb_lieux": len(ctx.lieux_territoire), "fraicheur": fraicheur}}
comparaison = diag.get("comparaison") or {}
references = [(comparaison.get(k) or {}) for k in ("departement", "region", "france") if comparaison.get(k)]
references = [r for r in references if r.get("id") != t.id]


def _a_jour(d: dict):
    fraicheur = (d.get("qualite") or {}).get("fraicheur") or []
    return next((c["part"] for c in fraicheur if c["classe"] == "à jour"), None)


def _reference(extraire, formater) -> str:
    morceaux = [f"{r['nom']} : {formater(extraire(r))}" for r in references]
    pairs = comparaison.get("mediane_pairs")
    if pairs:
        morceaux.append(f"médiane des {pairs['nb_pairs']} pairs : {formater(extraire(pairs))}")
    return " · ".join(morceaux)


def _part10(d: dict):
    return (d.get("part_population_a_moins_de") or {}).get("10")


CARTES = [
    ("nb_lieux", lambda d: d.get("nb_lieux"), nombre),
    ("lieux_pour_10000_habitants", lambda d: d.get("lieux_pour_10000_habitants"), lambda x: nombre(x, 1)),
    ("part_population_a_moins_de_10", _part10, pourcentage),
    ("zones_blanches", lambda d: d.get("zones_blanches_nb_communes"), nombre),
    ("distance_mediane_km", lambda d: d.get("distance_mediane_km"), km),
    ("part_a_jour", _a_jour, pourcentage),
]

st.title(t.libelle)
st.caption(f"{t.niveau_libelle} · {nombre(t.population)} habitants · {nombre(len(t.codes_communes))} communes")
if t.niveau == "perimetre":
    # Over several zones the projections are already among the warnings below.
    zones = perimetres.zones_distances(t) if len(territories.zones_perimetre(t)) == 1 else ""
    st.caption(f"{ui_perimetre.phrase_pairs(t)} {zones}")
st.markdown(synthese(diag))
for avertissement in diag.get("avertissements", []):
    st.caption(f":material/info: {avertissement}")

colonnes = st.columns(3)
for i, (cle, extraire, formater) in enumerate(CARTES):
    with colonnes[i % 3]:
        valeur = formater(extraire(diag))
        if cle == "zones_blanches":
            valeur = f"{valeur} communes"
        st.metric(definitions.libelle(cle), valeur, help=definitions.definition(cle))
        if cle == "zones_blanches":
            st.caption(f"{nombre(diag.get('zones_blanches_population'))} habitants concernés")
        if cle == "part_a_jour":
            st.caption("Comparaison : voir la page Qualité des données")
        elif references:
            st.caption(_reference(extraire, formater))
ui.legende_source(ctx)
if comparaison.get("source") and comparaison["source"].get("nom") != diag["source"].get("nom"):
    st.caption(f"Repères (département, région, France) calculés sur : {comparaison['source'].get('libelle')}.")

st.subheader("Territoires prioritaires et moyens humains")
colonnes = st.columns(3)
for i, (titre, valeur, texte, aide) in enumerate(cartes_priorites(diag)):
    with colonnes[i % 3]:
        st.metric(titre, valeur, help=aide or None)
        st.caption(texte)
st.caption(
    "Fichiers publics datés, pas des données en direct : classement FRR au 10 juillet 2025, QPV 2024 (population : "
    "compilation tierce), conseillers numériques 2023, Aidants Connect février 2024."
)

gauche, droite = st.columns(2)
with gauche:
    ui.graphique(couverture_par_seuil(diag), "habitants_a_moins_de", ctx)
with droite:
    if diag.get("fragilite"):
        ui.graphique(population_par_classe_ifn(diag["fragilite"]), "population_par_classe_ifn", ctx)
ui.legende_source(ctx)

with st.expander("Méthode et définitions", icon=":material/help:"):
    for cle, (nom, texte) in definitions.INDICATEURS.items():
        st.markdown(f"**{nom}** — {texte}")
    st.markdown(definitions.METHODE_DISTANCES)
