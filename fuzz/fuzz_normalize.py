"""Fuzz standard.normalize on whatever read_table makes of random bytes: no crash, no lost row."""
from _lanceur import instrumentation, lancer

with instrumentation():
    from diagnostics.sources.fichier import FichierIllisible, read_table
    from diagnostics.standard.normalize import normalize


def essai(donnees: bytes) -> None:
    nom = "lieux.json" if donnees[:1] in (b"{", b"[") else "lieux.csv"
    try:
        table = read_table(donnees, nom)
    except FichierIllisible:
        return
    lieux = normalize(table, "fuzz").lieux
    assert len(lieux) == len(table)
    assert lieux["ligne_source"].tolist() == list(range(1, len(table) + 1))


if __name__ == "__main__":
    lancer(essai, "read_table")
