"""Fuzz territories.resolve / search on random text: a Territoire or TerritoireInconnu, nothing else."""
from _lanceur import instrumentation, lancer

with instrumentation():
    from diagnostics import territories


def essai(donnees: bytes) -> None:
    texte = donnees.decode("utf-8", errors="replace")
    assert len(territories.search(texte, limit=5)) <= 5
    try:
        t = territories.resolve(texte)
    except territories.TerritoireInconnu:
        return
    assert territories.get(t.id) == t


if __name__ == "__main__":
    lancer(essai, "territoires")
