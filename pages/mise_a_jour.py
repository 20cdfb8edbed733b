"""Mettre à jour les données: a collector's spreadsheet standardized (editable column mapping, saved as
JSON), validated against the standard with a French report, compared with the national data of the
territory chosen in the sidebar; every output downloadable. The upload stays in this session only."""
import hashlib

import pandas as pd
import streamlit as st

import ui
from diagnostics.sources.fichier import FichierIllisible, read_table
from diagnostics import mise_a_jour as maj
from diagnostics.standard.correspondance import Correspondance, choisir_entete, cibles, suggerer
from diagnostics.views import fichiers
from diagnostics.views.format import nombre

CLE_FICHIER, CLE_CORRESPONDANCE = "maj_televerse", "maj_correspondance"

ctx = ui.contexte()
st.title("Mettre à jour les données")
st.write(
    "Transformez le tableau de vos lieux (CSV, XLSX, JSON ou GeoJSON) au standard des lieux de médiation numérique, "
    "vérifiez-le, puis envoyez le fichier lieux.csv à la Cartographie nationale (cartographie.sonum@anct.gouv.fr)."
)

televerse = st.file_uploader(
    f"Votre fichier de lieux ({ui.MAX_FICHIER_MO} Mo au plus)", type=["csv", "txt", "xlsx", "json", "geojson"],
    key="maj_uploader",
)
if televerse is not None:
    contenu = televerse.getvalue()
    if len(contenu) > ui.MAX_FICHIER_MO * 1024 * 1024:
        st.error(f"Fichier trop volumineux ({nombre(len(contenu) / 1e6, 1)} Mo) : la limite est de {ui.MAX_FICHIER_MO} Mo.")
        st.stop()
    st.session_state[CLE_FICHIER] = (televerse.name, contenu)
if CLE_FICHIER not in st.session_state:
    st.info("Importez un fichier pour commencer : rien n'est enregistré, le fichier reste dans votre session.")
    st.stop()
nom, contenu = st.session_state[CLE_FICHIER]
empreinte = hashlib.sha256(contenu).hexdigest()[:16]

feuilles = maj.feuilles_classeur(contenu)
feuille = st.selectbox("Feuille du classeur", feuilles, key=f"maj_feuille_{empreinte}") if len(feuilles) > 1 else None
try:
    brut, _ = choisir_entete(read_table(contenu, nom, feuille=feuille))
except FichierIllisible as exc:
    st.error(str(exc))
    st.stop()
entetes = [str(c) for c in brut.columns]

st.subheader("1. Correspondance des colonnes")
st.write(
    "Pour chaque colonne de votre fichier, choisissez le champ du standard qu'elle remplit (laissez vide pour l'ignorer). "
    "Enregistrez la correspondance pour la réutiliser le mois prochain."
)
chargee = st.file_uploader("Charger une correspondance enregistrée (JSON)", type=["json"], key="maj_corresp_json")
if chargee is not None:
    try:
        st.session_state[CLE_CORRESPONDANCE] = Correspondance.from_json(chargee.getvalue())
    except ValueError as exc:
        st.error(str(exc))
correspondance = st.session_state.get(CLE_CORRESPONDANCE) or suggerer(entetes)
par_entete = {entete: cible for cible, entete in correspondance.colonnes.items()}
exemples = [next((str(v) for v in brut.iloc[:, i] if str(v).strip()), "") for i in range(len(entetes))]
tableau = pd.DataFrame(
    {"Colonne du fichier": entetes, "Champ du standard": [par_entete.get(e, "") for e in entetes], "Exemple": exemples}
)
edite = st.data_editor(
    tableau, hide_index=True, width="stretch", disabled=["Colonne du fichier", "Exemple"], key=f"maj_editeur_{empreinte}",
    column_config={"Champ du standard": st.column_config.SelectboxColumn(options=["", *cibles()], required=False)},
)
choisie = Correspondance(
    colonnes={c: e for e, c in zip(edite["Colonne du fichier"], edite["Champ du standard"]) if isinstance(c, str) and c},
    regles=correspondance.regles,
)
st.download_button(
    "Enregistrer la correspondance (JSON)", data=choisie.to_json().encode("utf-8"), file_name="correspondance.json",
    mime=fichiers.MIMES["json"], icon=":material/download:", on_click="ignore",
)

comparer = st.checkbox(f"Comparer avec les données nationales de {ctx.territoire.libelle}", value=True,
                       help="Lieux de la source choisie dans le panneau de gauche, situés dans le territoire.")
cle = ("maj", empreinte, feuille, choisie.to_json(), ctx.cle if comparer else None)
memo = st.session_state.setdefault("_maj_resultats", {})
if cle not in memo:
    memo.clear()  # one result per session: uploads can be large
    with st.spinner("Standardisation et validation…"):
        try:
            memo[cle] = maj.mettre_a_jour(
                contenu, nom, correspondance=choisie, feuille=feuille,
                territoire=ctx.territoire if comparer else None, national=ctx.lieux_territoire if comparer else None,
            )
        except FichierIllisible as exc:
            st.error(str(exc))
            st.stop()
resultat = memo[cle]

st.subheader("2. Validation au standard")
verdict = resultat.validation.resume()[0]
(st.success if resultat.valide else st.error)(verdict)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Lignes", nombre(len(resultat.lieux)))
c2.metric("Problèmes bloquants", nombre(len(resultat.bloquants)))
c3.metric("Avertissements", nombre(len(resultat.avertissements)))
c4.metric("Corrections automatiques", nombre(len(resultat.changements)))
problemes = maj.tableau_problemes(resultat)
if len(problemes):
    st.dataframe(problemes, hide_index=True, width="stretch")
    st.caption("Numéros de ligne du fichier lieux.csv (l'en-tête est la ligne 1).")
lieux = maj.tableau_lieux(resultat)
a_revoir = lieux[(lieux["problèmes"] != "") | (lieux["remarques"] != "")]
st.markdown(f"**Lieux à revoir** : {nombre(len(a_revoir))} sur {nombre(len(lieux))}")
st.dataframe(a_revoir, hide_index=True, width="stretch")

st.subheader("3. Corrections apportées")
st.text("\n".join(resultat.rapport))
st.dataframe(resultat.changements, hide_index=True, width="stretch")

st.subheader("4. Fichiers produits")
colonnes = st.columns(len(resultat.fichiers))
for colonne, (fichier, octets) in zip(colonnes, resultat.fichiers.items()):
    colonne.download_button(
        fichier, data=octets, file_name=fichier, mime=fichiers.MIMES[fichier.rsplit(".", 1)[1]], icon=":material/download:",
        on_click="ignore", key=f"maj_dl_{fichier}",
    )

r = resultat.rapprochement
if r is not None:
    st.subheader("5. Comparaison avec les données nationales")
    ui.legende_source(ctx)
    st.text("\n".join(r.resume()))
    for titre, table, base in (
        ("Nouveaux lieux (absents des données nationales)", r.nouveaux, "nouveaux"),
        ("Champs différents", r.differences, "differences"),
        ("Lieux nationaux absents du fichier", r.absents, "absents"),
        ("Doublons probables dans le fichier", r.doublons, "doublons"),
    ):
        with st.expander(f"{titre} ({nombre(len(table))})"):
            st.dataframe(table, hide_index=True, width="stretch")
            st.download_button(
                f"{titre} (CSV)", data=fichiers.csv_tableau(table), mime="text/csv", icon=":material/download:",
                file_name=fichiers.nom_fichier(base, ctx.territoire.nom, extension="csv"), on_click="ignore", key=f"maj_cmp_{base}",
            )
