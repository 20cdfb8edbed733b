"""Shared runner of the fuzz harnesses: atheris (coverage-guided) when installed, otherwise a plain
Python loop over the corpus files and random mutations of them, bounded in time."""
from __future__ import annotations

import contextlib
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
REGRESSIONS = RACINE / "tests" / "fixtures" / "fuzz_regressions"
GRAINES = Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(RACINE))


def _atheris():
    """The atheris module, or None when absent or refused with --sans-atheris."""
    if "--sans-atheris" in sys.argv:
        return None
    try:
        import atheris
    except ImportError:
        return None
    return atheris


def instrumentation():
    """Context manager to import the code under test in: atheris then records its coverage (only the
    project's modules: instrumenting pandas too would take minutes)."""
    atheris = _atheris()
    return atheris.instrument_imports(include=["diagnostics"]) if atheris else contextlib.nullcontext()


def lancer(essai: Callable[[bytes], None], corpus: str) -> None:
    """Fuzz `essai` (raises on a real failure) from the seeds fuzz/corpus/<corpus> and the past crashes
    tests/fixtures/fuzz_regressions/<corpus>.

    With atheris, argv is libFuzzer's (-max_total_time=60…); without a corpus folder in argv, a scratch
    folder, the seeds and the past crashes are used. Without atheris, or with --sans-atheris, every seed and past crash is
    replayed, then random mutations run until
    -max_total_time (default 60 s); a failing input is saved as crash-<n>.bin in the current folder.
    """
    args = [a for a in sys.argv if a != "--sans-atheris"]
    atheris = _atheris()
    if atheris is None:
        _boucle(essai, [GRAINES / corpus, REGRESSIONS / corpus], args[1:])
        return
    if not any(not a.startswith("-") for a in args[1:]):
        # libFuzzer writes what it learns into the first folder: a scratch one, never the repository.
        args += [tempfile.mkdtemp(prefix=f"fuzz-{corpus}-"), str(GRAINES / corpus), str(REGRESSIONS / corpus)]
    atheris.Setup(args, essai)
    atheris.Fuzz()


def _boucle(essai: Callable[[bytes], None], dossiers: list[Path], args: list[str]) -> None:
    duree = next((float(a.split("=", 1)[1]) for a in args if a.startswith("-max_total_time=")), 60.0)
    graines = [p.read_bytes() for d in dossiers for p in sorted(d.glob("*")) if p.is_file()] or [b""]
    hasard = random.Random(0)
    fin = time.monotonic() + duree
    n = echecs = 0
    for donnees in _entrees(graines, hasard):
        if n >= len(graines) and time.monotonic() > fin:
            break
        n += 1
        try:
            essai(donnees)
        except Exception:  # noqa: BLE001 — every failure is saved, the loop goes on
            echecs += 1
            Path(f"crash-{echecs}.bin").write_bytes(donnees)
            traceback.print_exc()
    print(f"{n} essais en {duree:.0f} s au plus, {echecs} échec(s)")
    sys.exit(1 if echecs else 0)


def _entrees(graines: list[bytes], hasard: random.Random):
    yield from graines
    while True:
        donnees = bytearray(hasard.choice(graines))
        for _ in range(hasard.randint(1, 8)):
            choix = hasard.random()
            position = hasard.randint(0, len(donnees))
            if choix < 0.4 and donnees:
                donnees[min(position, len(donnees) - 1)] = hasard.randrange(256)
            elif choix < 0.7:
                donnees[position:position] = bytes(hasard.randrange(256) for _ in range(hasard.randint(1, 8)))
            elif choix < 0.9:
                del donnees[position : position + hasard.randint(1, 16)]
            else:
                donnees[position:position] = hasard.choice(graines)[: hasard.randint(0, 64)]
        yield bytes(donnees)
