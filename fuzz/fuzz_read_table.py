"""Fuzz sources.fichier.read_table: any bytes under any file name give a table or FichierIllisible."""
from _lanceur import instrumentation, lancer

with instrumentation():
    from diagnostics.sources.fichier import FichierIllisible, read_table

NOMS = ("lieux.csv", "lieux.json", "lieux.geojson", "lieux.xlsx", "lieux.txt")


def essai(donnees: bytes) -> None:
    nom = NOMS[donnees[0] % len(NOMS)] if donnees else NOMS[0]
    try:
        table = read_table(donnees[1:], nom)
    except FichierIllisible:
        return
    assert len(table) > 0 and table.shape[1] > 0


if __name__ == "__main__":
    lancer(essai, "read_table")
