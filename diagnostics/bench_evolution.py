"""Benchmark of the évolution (`make bench`): two national pictures of about 11,600 places compared
in-process, warm — once with the ids kept (the usual case: two national exports) and once with every
id replaced (a file re-exported by another tool) — beside the merge on `id` a pandas user would write,
which is faster but reads the second case as "everything closed, everything opened"."""
from __future__ import annotations

import time
import uuid

import numpy as np
import pandas as pd

from . import territories
from .evolution import comparer
from .places import lieux_embarques
from .sources.base import Lieux, SourceInfo
from .standard import doublons
from .standard.fields import to_places_frame


def photo_modifiee(photo: Lieux, *, graine: int = 14, ids_remplaces: bool = False) -> Lieux:
    """A later picture made from `photo`: 5 % closed, 3 % opened 3 km away, 2 % moved 1 km, 5 % with
    a new phone number; with `ids_remplaces` every id is new."""
    rng = np.random.default_rng(graine)
    lieux = photo.lieux.drop(columns="geometry").reset_index(drop=True).copy()
    n = len(lieux)
    ordre = rng.permutation(n)
    fermes, deplaces, modifies, copies = np.split(ordre[: int(0.15 * n)], [int(0.05 * n), int(0.07 * n), int(0.12 * n)])
    lieux.loc[deplaces, "latitude"] = lieux.loc[deplaces, "latitude"] + 1000 / 111_195
    lieux.loc[modifies, "telephone"] = "+33100000000"
    nouveaux = lieux.loc[copies].copy()
    nouveaux["id"] = [f"ouvert-{i}" for i in range(len(nouveaux))]
    nouveaux["nom"] = [f"Nouvel espace numérique {i}" for i in range(len(nouveaux))]
    nouveaux["adresse"] = "1 rue Nouvelle"
    nouveaux["latitude"] = nouveaux["latitude"] + 3000 / 111_195
    apres = pd.concat([lieux.drop(index=fermes), nouveaux], ignore_index=True)
    if ids_remplaces:
        apres["id"] = [str(uuid.UUID(int=int(rng.integers(0, 2**63)))) for _ in range(len(apres))]
    info = SourceInfo("fichier", "Photo modifiée (banc d'essai)", "2026-12-01")
    return Lieux(lieux=to_places_frame(apres), source=info, champs_v0=photo.champs_v0)


def fusion_naive(avant: pd.DataFrame, apres: pd.DataFrame) -> tuple[int, int, int]:
    """What a pandas user writes: an outer merge on `id` → (opened, closed, matched)."""
    m = pd.merge(avant[["id", "nom"]], apres[["id", "nom"]], on="id", how="outer", indicator=True)
    return int((m["_merge"] == "right_only").sum()), int((m["_merge"] == "left_only").sum()), int((m["_merge"] == "both").sum())


def _chrono(fonction, repetitions: int) -> tuple[float, object]:
    resultat = fonction()  # warm-up: reference tables, caches
    temps = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        resultat = fonction()
        temps.append(time.perf_counter() - debut)
    return float(np.median(temps)), resultat


def main(repetitions: int = 3) -> None:
    france = territories.get("france")
    avant = lieux_embarques(france)
    print(f"Évolution nationale : {len(avant.lieux)} lieux avant (instantané embarqué), médiane de {repetitions} passages.")
    for titre, ids_remplaces in (("identifiants conservés", False), ("tous les identifiants remplacés", True)):
        apres = photo_modifiee(avant, ids_remplaces=ids_remplaces)
        t_premier, _ = _chrono(lambda: (doublons.vider_cache(), comparer(france, avant, apres)), repetitions)
        t, e = _chrono(lambda: comparer(france, avant, apres), repetitions)
        t_naif, (o, f, m) = _chrono(lambda: fusion_naive(avant.lieux, apres.lieux), repetitions)
        print(
            f"  {titre} ({len(apres.lieux)} lieux après) : {t_premier:.2f} s (noms et adresses à analyser), "
            f"{t:.2f} s ensuite ; {len(e.appariements)} appariés, {len(e.ouverts)} ouverts, {len(e.fermes)} fermés, "
            f"{len(e.deplaces)} déplacés, {e.nb_modifies} modifiés"
        )
        print(f"    fusion pandas sur l'id : {t_naif:.3f} s ({t_premier / t_naif:.0f} fois moins de temps) mais "
              f"{m} appariés, {o} ouverts, {f} fermés")
    print()


if __name__ == "__main__":
    main()
