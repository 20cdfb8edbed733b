"""Fuzz indicators.horaires on random `horaires` strings: one status per place, hours within a week."""
import math

import pandas as pd
from _lanceur import instrumentation, lancer

with instrumentation():
    from diagnostics.indicators import horaires

STATUTS = {horaires.EXPLOITABLE, horaires.NON_EXPLOITABLE, horaires.NON_RENSEIGNE}


def essai(donnees: bytes) -> None:
    valeur = donnees.decode("utf-8", errors="replace")
    table = horaires.analyser_horaires(pd.DataFrame({"horaires": [valeur, ""]}))
    assert len(table) == 2 and set(table["statut"]) <= STATUTS
    heures = table["heures_hebdo"].iloc[0]
    assert math.isnan(heures) or 0 <= heures <= 168  # NaN unless readable


if __name__ == "__main__":
    lancer(essai, "horaires")
