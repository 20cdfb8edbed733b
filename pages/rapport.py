"""Fiche territoire: one click builds the report of the sidebar's territory (PowerPoint, PDF, HTML) and
offers the downloads, with the indicator tables per commune and per EPCI (CSV, XLSX)."""
import hashlib

import streamlit as st

import ui
from diagnostics.rapport import ImagesIndisponibles, LogoIllisible, construire, fichiers_rapport, tableaux
from diagnostics.views.fichiers import MIMES
from diagnostics.views.format import nombre

LIBELLES = {"pptx": "Présentation PowerPoint", "pdf": "Document PDF", "html": "Page HTML (hors ligne)",
            "csv": "CSV", "xlsx": "Excel"}

ctx = ui.contexte()
t = ctx.territoire
st.title("Fiche territoire")
st.markdown(
    f"La fiche de **{t.libelle}** pour une réunion : couverture avec les chiffres clés, « À retenir », chiffres "
    "comparés au département, à la région et à la France, carte, offre et horaires, zones blanches, priorités et "
    "« où ouvrir », qualité des données, territoires comparables, sources et dates sur chaque page."
)

logo = st.file_uploader("Logo de votre structure (facultatif, PNG ou JPEG)", type=["png", "jpg", "jpeg"])
logo_octets = logo.getvalue() if logo is not None else None
auteur = st.text_input(
    "Auteur ou organisation (facultatif)", max_chars=120, key="fiche_auteur",
    help="Écrit sur la couverture, par exemple « Préfecture du Finistère — mission inclusion numérique ».",
).strip()
# The last comparison made on the « Évolution » page for this territory, if any (this session's only).
evolution = ui.evolution_choisie(ctx)
inclure_evolution = False
if evolution is not None:
    inclure_evolution = st.checkbox(
        # File names are data: shown as text, never as markdown.
        f"Ajouter la partie « Évolution » ({ui.texte_brut(evolution['avant']['libelle'])} → "
        f"{ui.texte_brut(evolution['apres']['libelle'])})",
        value=True, key="fiche_evolution",
    )
else:
    st.caption("Pour ajouter une partie « Évolution », comparez d'abord deux photos sur la page Évolution.")
# The files hold this session's logo (and maybe its own data): they stay in this session's state only.
cle = (ctx.cle, hashlib.sha256(logo_octets).hexdigest() if logo_octets else "", auteur,
       hashlib.sha256(repr(evolution).encode()).hexdigest() if inclure_evolution else "")

if st.button("Préparer la fiche territoire", type="primary", icon=":material/slideshow:"):
    diag = ui.diagnostic(ctx)
    table = ui.table_communes(ctx)
    with st.spinner("Préparation de la carte, des graphiques et des trois fichiers…"):
        try:
            contenu = construire(diag, table, lieux=ctx.lieux, auteur=auteur,
                                 evolution=evolution if inclure_evolution else None)
            st.session_state["_fiche"] = (cle, fichiers_rapport(contenu, logo=logo_octets))
        except (ImagesIndisponibles, LogoIllisible) as exc:
            st.session_state.pop("_fiche", None)
            st.error(str(exc))

fiche = st.session_state.get("_fiche")
if fiche and fiche[0] == cle:
    st.success("La fiche est prête : téléchargez-la dans le format de votre choix.")
    colonnes = st.columns(len(fiche[1]))
    for colonne, (nom, donnees) in zip(colonnes, fiche[1].items()):
        extension = nom.rsplit(".", 1)[-1]
        with colonne:
            st.download_button(
                f"{LIBELLES[extension]} ({nombre(len(donnees) / 1e6, 1)} Mo)", donnees, file_name=nom,
                mime=MIMES[extension], icon=":material/download:", key=f"fiche-{extension}",
            )
ui.legende_source(ctx)

st.subheader("Tableaux d'indicateurs")
st.markdown(
    "Les indicateurs de chaque commune et de chaque EPCI du territoire, pour un tableur : le fichier Excel "
    "contient une feuille « colonnes » qui définit chaque colonne."
)
table = ui.table_communes(ctx)
fichiers = ui.memoiser(
    ctx, "rapport_tableaux", (10.0,),
    lambda: tableaux.fichiers(t.nom, [tableaux.table_par_commune(table), tableaux.table_par_epci(t, ctx.lieux)]),
)
for nom, donnees in fichiers.items():
    extension = nom.rsplit(".", 1)[-1]
    quoi = "par commune" if nom.startswith("indicateurs-communes") else "par EPCI"
    st.download_button(
        f"Indicateurs {quoi} — {LIBELLES[extension]}", donnees, file_name=nom, mime=MIMES[extension],
        icon=":material/table_view:", key=f"tableau-{nom}",
    )
