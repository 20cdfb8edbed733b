"""The sidebar's « Périmètre personnalisé » builder: typed entries, a CSV/XLSX column of codes or a saved
JSON file, a name, chosen peers; a preview (communes, population, outline) before « Appliquer », which
puts the perimeter's compact identifier in the URL. Kept apart from ui.py so the sidebar stays small."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from diagnostics import perimetres, territories
from diagnostics.views import fichiers
from diagnostics.views.apercu_perimetre import svg_contour
from diagnostics.views.format import nombre

CLE_APERCU = "_perimetre_apercu"
CLE_RECHERCHE = "_recherche_territoire"  # the sidebar's search box, emptied when a perimeter is applied


def phrase_pairs(t: territories.Territoire) -> str:
    """What a perimeter is compared with, said in the page (no peers unless chosen)."""
    return perimetres.description_perimetre(t)["pairs"]["libelle"]


def _analyse_saisie(nom: str, texte: str, tableur, sauvegarde) -> tuple[perimetres.Analyse, list[str]]:
    analyses, pairs = [], []
    if texte.strip():
        analyses.append(perimetres.analyser(texte, nom))
    if tableur is not None:
        analyses.append(perimetres.lire_fichier_codes(tableur.getvalue(), tableur.name, nom))
    if sauvegarde is not None:
        analyse, pairs = perimetres.depuis_json(sauvegarde.getvalue())
        analyses.append(analyse)
        nom = nom.strip() or analyse.nom
    if not analyses:
        raise perimetres.PerimetreInvalide(
            "Saisissez des communes, EPCI, départements ou arrondissements, ou importez un fichier."
        )
    return perimetres.fusionner(analyses, nom), pairs


def _appliquer(ident: str) -> None:
    # A callback runs before the next script run: the sidebar then reads the perimeter from the URL.
    st.query_params["territoire"] = ident
    st.session_state[CLE_RECHERCHE] = ""


def constructeur(actuel: territories.Territoire) -> None:
    """Draw the builder (in the sidebar); « Appliquer » makes the previewed perimeter the territory."""
    with st.expander("Périmètre personnalisé", expanded=actuel.niveau == "perimetre"):
        nom = st.text_input("Nom du périmètre", max_chars=perimetres.MAX_NOM, key="_perimetre_nom",
                            placeholder="Bassin de Morlaix")
        texte = st.text_area(
            "Communes, EPCI, départements, arrondissements", key="_perimetre_texte", height=110,
            placeholder="epci:242900694, commune:29019, Morlaix, arr:291, dep:22…",
            help="Codes INSEE ou noms de communes, epci:SIREN, dep:29, arr:291 ; séparés par des virgules ou des retours à la ligne.",
        )
        tableur = st.file_uploader("Colonne de codes INSEE (CSV, XLSX ; 10 Mo au plus)", type=["csv", "txt", "xlsx"],
                                   key="_perimetre_tableur")
        sauvegarde = st.file_uploader("Charger un périmètre enregistré (JSON)", type=["json"], key="_perimetre_json")
        texte_pairs = st.text_input(
            "Territoires à comparer (facultatif)", key="_perimetre_pairs", placeholder="epci:242900835, arr:293",
            help="Sans choix, le périmètre n'a pas de pairs : il est comparé à ses départements, régions et à la France.",
        )
        # The preview follows the entries (no button to forget): shown once something is entered.
        if texte.strip() or tableur is not None or sauvegarde is not None:
            try:
                analyse, pairs = _analyse_saisie(nom, texte, tableur, sauvegarde)
                choisis, pairs_inconnus = perimetres.analyser_pairs(texte_pairs) if texte_pairs.strip() else (pairs, [])
                st.session_state[CLE_APERCU] = (analyse.territoire(choisis), analyse.messages(), pairs_inconnus)
            except perimetres.PerimetreInvalide as exc:
                st.session_state.pop(CLE_APERCU, None)
                st.error(str(exc))
        else:
            st.session_state.pop(CLE_APERCU, None)
            st.caption("Aperçu : saisissez des communes, EPCI, départements ou arrondissements, ou importez un fichier.")
        apercu = st.session_state.get(CLE_APERCU)
        if apercu:
            _apercu(*apercu)
        if actuel.niveau == "perimetre":
            st.download_button(
                "Enregistrer ce périmètre (JSON)", data=lambda: perimetres.vers_json(actuel), mime=fichiers.MIMES["json"],
                file_name=fichiers.nom_fichier("perimetre", actuel.nom, extension="json"), on_click="ignore",
                icon=":material/download:", key="_perimetre_enregistrer",
                help="Un petit fichier à partager : chargez-le ici pour retrouver le même périmètre.",
            )


def _apercu(t: territories.Territoire, messages: list[str], pairs_inconnus: list[str]) -> None:
    for message in messages:
        (st.info if "converti" in message else st.warning)(message)
    if pairs_inconnus:
        st.warning("Territoires à comparer non reconnus, non repris : " + ", ".join(f"« {p[:40]} »" for p in pairs_inconnus[:10]))
    st.markdown(f"**{nombre(len(t.codes_communes))} communes** · {nombre(t.population)} habitants")
    for dessin in svg_contour(t):
        st.image(dessin, caption="Contour du périmètre")
    communes = [territories.get(f"commune:{c}") for c in t.codes_communes]
    st.dataframe(
        pd.DataFrame({"Code": [c.code for c in communes], "Commune": [c.nom for c in communes],
                      "Population": [c.population for c in communes]}),
        hide_index=True, height=180, key="_perimetre_liste",
    )
    st.button("Appliquer", type="primary", icon=":material/check:", on_click=_appliquer, args=(t.id,), key="_perimetre_appliquer")
