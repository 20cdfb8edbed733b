"""The benchmark's whole-process pairing and its naive baseline (figures, not timings: `make bench` prints those)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from diagnostics import bench


def test_paired_process_timing_gives_both_medians_and_their_ratio():
    rapide = [sys.executable, "-c", "pass"]
    lent = [sys.executable, "-c", "import time; time.sleep(0.3)"]
    t_lent, t_rapide, ratio = bench.paire_processus(lent, rapide, 2)
    assert t_lent > t_rapide > 0
    assert t_lent >= 0.3 and ratio > 1
    with pytest.raises(subprocess.CalledProcessError):  # a failing command is not timed as if it had worked
        bench.duree_processus([sys.executable, "-c", "raise SystemExit(3)"])


def test_the_naive_baseline_computes_the_same_national_figures():
    """The script the whole-process time is compared with must answer the same question: same median
    distance and shares within 5/10/15/20 km as the diagnostic (it projects overseas communes to
    Lambert-93 too, hence a small tolerance)."""
    naif = json.loads(subprocess.run([sys.executable, str(bench.NAIF)], capture_output=True, text=True, check=True).stdout)
    from diagnostics import places, territories
    from diagnostics.diagnostic import diagnostic

    france = territories.get("france")
    lieux = places.lieux_embarques(france)
    nous = diagnostic(france, lieux.lieux, lieux.source, parties=(), nb_sites=0)
    assert naif["nb_communes"] == nous["nb_communes"]
    assert naif["distance_mediane_km"] == pytest.approx(nous["distance_mediane_km"], rel=0.01)
    for seuil, part in nous["part_population_a_moins_de"].items():
        assert naif["part_population_a_moins_de"][seuil] == pytest.approx(part, abs=0.002)
    assert naif["zones_blanches_population"] == pytest.approx(nous["zones_blanches_population"], rel=0.02)
