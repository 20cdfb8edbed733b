"""Indicators: pure functions on places frames and per-commune vectors (no Streamlit).

Import the module you need (`from diagnostics.indicators import distances`): the package itself
imports nothing, so that a command pays only for the indicators it computes.
"""
