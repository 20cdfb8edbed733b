"""Entry point of the dashboard: page navigation and the shared sidebar (territory, data source)."""
from __future__ import annotations

import streamlit as st

import ui

st.set_page_config(page_title="Diagnostic de l'inclusion numérique", page_icon=":material/map:", layout="wide")

pages = [
    st.Page("pages/synthese.py", title="Synthèse", icon=":material/dashboard:", default=True),
]
navigation = st.navigation(pages)
st.session_state["contexte"] = ui.barre_laterale()
navigation.run()
