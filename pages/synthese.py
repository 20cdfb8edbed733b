"""Synthèse: the territory's headline figures."""
import streamlit as st

from diagnostics.places import dans_territoire

contexte = st.session_state.get("contexte")
if contexte is None:
    st.stop()

t = contexte.territoire
lieux = contexte.resultat.lieux
dedans = lieux[dans_territoire(lieux, t)]
st.title(f"{t.libelle}")
col1, col2, col3 = st.columns(3)
col1.metric("Lieux d'inclusion numérique", f"{len(dedans):,}".replace(",", "\u202f"))
col2.metric("Habitants", f"{t.population:,}".replace(",", "\u202f"))
col3.metric("Communes", f"{len(t.codes_communes):,}".replace(",", "\u202f"))
st.caption(f"Source : {contexte.resultat.source.libelle} — données du {contexte.resultat.source.date or 'date inconnue'}.")
