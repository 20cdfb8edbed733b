"""Entry point of the dashboard: page navigation, the shared sidebar (territory, data source), and a
last-resort French error message instead of a traceback."""
from __future__ import annotations

import logging
import time

import streamlit as st

import ui

# A local favicon: a material page icon would make the browser fetch it from a Google CDN.
st.set_page_config(page_title="Diagnostic de l'inclusion numérique", page_icon="static/favicon.png", layout="wide")

PAGES = [
    st.Page("pages/synthese.py", title="Synthèse", icon=":material/dashboard:", default=True),
    st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
    st.Page("pages/offre.py", title="Offre de services", icon=":material/category:"),
    st.Page("pages/zones_blanches.py", title="Zones blanches et priorités", icon=":material/crisis_alert:"),
    st.Page("pages/qualite.py", title="Qualité des données", icon=":material/fact_check:"),
    st.Page("pages/lieux.py", title="Lieux", icon=":material/table_view:"),
    st.Page("pages/comparer.py", title="Comparer", icon=":material/compare_arrows:"),
    st.Page("pages/evolution.py", title="Évolution", icon=":material/history:"),
    st.Page("pages/rapport.py", title="Fiche territoire", icon=":material/slideshow:"),
    st.Page("pages/mise_a_jour.py", title="Mettre à jour les données", icon=":material/upload_file:"),
    st.Page("pages/carte_integrer.py", title="Carte à intégrer", icon=":material/share:"),
]

navigation = st.navigation(PAGES)
debut = time.perf_counter()
try:
    st.session_state["contexte"] = ui.barre_laterale()
    navigation.run()
except Exception:  # noqa: BLE001 - the person sees a French sentence; the details go to the server log
    logging.getLogger("diagnostic").exception("page en erreur")
    st.error(
        "Une erreur inattendue a empêché d'afficher cette page. Essayez un autre territoire ou une autre source ; "
        "si le problème persiste, signalez-le avec l'adresse de la page."
    )
finally:
    ui.journaliser_duree(navigation.url_path, time.perf_counter() - debut)
