"""Fuzz standard.correspondance.Correspondance.from_json: a mapping or a French ValueError."""
import pandas as pd
from _lanceur import instrumentation, lancer

with instrumentation():
    from diagnostics.standard.correspondance import Correspondance

BRUT = pd.DataFrame({"Nom": ["a", "b"], "Adresse": ["1 rue X", ""]})


def essai(donnees: bytes) -> None:
    try:
        c = Correspondance.from_json(donnees)
    except ValueError as exc:
        assert str(exc).startswith("Le fichier de correspondance"), exc
        return
    assert len(c.appliquer(BRUT)[0]) == 2
    assert Correspondance.from_json(c.to_json()).colonnes == c.colonnes


if __name__ == "__main__":
    lancer(essai, "correspondance")
