"""`python -m diagnostics.build [SHARED_DIR]`: rebuild data/ from the raw public files (`make data`)."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..paths import DATA_DIR, SHARED_DIR
from . import priorites, reference, snapshot


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else SHARED_DIR
    if not (shared / "data").is_dir():
        print(f"Erreur : dossier des données brutes introuvable ({shared}/data) ; indiquez son chemin : python -m diagnostics.build CHEMIN", file=sys.stderr)
        return 1
    start = time.perf_counter()
    counts = reference.build(shared, DATA_DIR)
    counts.update(snapshot.build(shared, DATA_DIR))
    counts.update(priorites.build(shared, DATA_DIR))
    for name, n in counts.items():
        print(f"{name}\t{n}")
    print(f"data/ reconstruit en {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
