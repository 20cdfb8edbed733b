"""Benchmark of `diagnostic valider`: a 20,000-row collector's CSV (French headers, `;`, cp1252, decimal
commas, free-text hours) read, mapped, normalized and validated; target under 10 s. Prints the figures."""
from __future__ import annotations

import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from diagnostics.sources.fichier import read_table  # noqa: E402
from diagnostics import mise_a_jour  # noqa: E402
from diagnostics.standard.correspondance import suggerer  # noqa: E402
from diagnostics.standard.normalize import normalize  # noqa: E402

N = 20_000
COMMUNES = [("29019", "29200", "Brest"), ("29232", "29000", "Quimper"), ("35238", "35000", "Rennes"),
            ("13055", "13001", "Marseille"), ("69123", "69001", "Lyon"), ("59350", "59000", "Lille")]
HORAIRES = ["du lundi au vendredi de 9h à 12h et de 14h à 17h", "Mo-Fr 09:00-12:00", "sur rendez-vous", ""]


def fichier(n: int = N) -> bytes:
    rng = random.Random(5)
    texte = io.StringIO()
    w = csv.writer(texte, delimiter=";", lineterminator="\r\n")
    w.writerow(["Nom de la structure", "Adresse", "Code postal", "Ville", "Téléphone", "Mail",
                "Horaires d'ouverture", "Latitude", "Longitude", "Date de mise à jour", "Services"])
    for i in range(n):
        _, cp, ville = rng.choice(COMMUNES)
        w.writerow([f"Espace numérique {i}", f"{rng.randint(1, 99)} rue de la Mairie", cp, ville,
                    f"02 98 {i % 100:02d} {i % 97:02d} {i % 89:02d}", f"contact{i}@exemple.fr", rng.choice(HORAIRES),
                    "", "", f"{rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/2025", "Prendre en main un ordinateur"])
    return texte.getvalue().encode("cp1252")


def main() -> None:
    data = fichier()
    t0 = time.perf_counter()
    brut = read_table(data, "collecte.csv")
    table, _ = suggerer(list(brut.columns)).appliquer(brut)
    lieux = normalize(table, "fichier:collecte.csv").lieux
    csv_octets = mise_a_jour._csv(lieux)
    rapport = mise_a_jour._valider(csv_octets)
    t1 = time.perf_counter()
    print(f"lu, mis en correspondance, normalisé et validé : {N} lignes en {t1 - t0:.1f} s (cible < 10 s) ; "
          f"{len(rapport.problemes)} types de problèmes")
    resultat = mise_a_jour.mettre_a_jour(data, "collecte.csv")
    t2 = time.perf_counter()
    print(f"chaîne complète (communes, horaires, positions, rapports) : {len(resultat.lieux)} lignes en {t2 - t1:.1f} s")


if __name__ == "__main__":
    main()
