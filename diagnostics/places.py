"""A territory's places from the source the user picked, with the fallbacks the users are promised.

`charger_lieux` returns the places of the territory *and* of its neighbours within a buffer (distances
to the nearest place must see across the border); `dans_territoire` tells them apart.
Fallback order for online sources: the source itself → its last good cache (handled by the source)
→ the embedded snapshot, each time saying so in `SourceInfo.message`. A dated picture of the history
(`sources.historique`) is read back by `charger_photo`.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from . import cache_reference, territories
from .paths import DATA_DIR
from .sources.base import Lieux, SourceIndisponible, SourceInfo
from .standard import fields
from .standard.fields import CODE_COMMUNE, to_places_frame

if TYPE_CHECKING:  # the history is imported when a picture is read, like the online sources
    from .sources.historique import Historique, Photo

SNAPSHOT_FILE = "lieux.parquet"
SNAPSHOT_LABEL = "Instantané embarqué (fichiers publics 2022–2024, partiel)"
SNAPSHOT_NOTE = (
    "Instantané partiel et daté (2022–2024) : pour les données actuelles, choisissez la source « API nationale »."
)
SOURCES = ("embarque", "api", "dataspace")
# The snapshot holds v0 files converted at build time (CNFS 2022, Hinaura, Portrea): see data/PROVENANCE.md.
CHAMPS_V0_INSTANTANE = frozenset({"services", "publics_specifiquement_adresses", "prise_en_charge_specifique",
                                  "frais_a_charge", "dispositif_programmes_nationaux", "modalites_accompagnement"})
BUFFER_KM = 30.0

Progress = Callable[[int, int | None, str], None]


@lru_cache(maxsize=1)
def _snapshot() -> gpd.GeoDataFrame:
    path = DATA_DIR / SNAPSHOT_FILE
    if not path.exists():
        raise SourceIndisponible(
            f"L'instantané embarqué est introuvable ({path}) : reprenez une copie complète du dépôt ou lancez `make data`."
        )
    # Coercing 11,000 rows to the contract costs more than reading the result back: cached on disk,
    # keyed by the snapshot's content and the contract's code.
    entrees = [path, Path(fields.__file__), Path(__file__)]
    return cache_reference.charger("instantane", entrees, lambda: to_places_frame(pd.read_parquet(path)))


def snapshot_date() -> str:
    """The most recent `date_maj` in the snapshot (the data are no fresher than that)."""
    dates = _snapshot()["date_maj"]
    dates = dates[dates.str.match(r"^\d{4}-\d{2}-\d{2}$")]
    return str(dates.max()) if len(dates) else ""


def _communes_perimetre(territoire, buffer_km: float) -> set[str]:
    codes = set(territoire.codes_communes)
    if territoire.niveau != "france" and buffer_km > 0:
        codes.update(territories.buffer_communes(territoire, buffer_km))
    return codes


def restreindre(lieux: gpd.GeoDataFrame, territoire, buffer_km: float = BUFFER_KM) -> gpd.GeoDataFrame:
    """Places of the territory and of its neighbours within `buffer_km`."""
    if territoire.niveau == "france":
        return lieux
    codes = _communes_perimetre(territoire, buffer_km)
    return lieux[lieux[CODE_COMMUNE].isin(codes)].reset_index(drop=True)


def lieux_embarques(territoire, buffer_km: float = BUFFER_KM) -> Lieux:
    lieux = restreindre(_snapshot(), territoire, buffer_km)
    info = SourceInfo(nom="embarque", libelle=SNAPSHOT_LABEL, date=snapshot_date(), message=SNAPSHOT_NOTE)
    return Lieux(lieux=lieux, source=info, champs_v0=CHAMPS_V0_INSTANTANE)


def charger_lieux(
    territoire,
    source: str = "embarque",
    *,
    api_url: str | None = None,
    token: str | None = None,
    buffer_km: float = BUFFER_KM,
    progress: Progress | None = None,
    repli_embarque: bool = True,
) -> Lieux:
    """Places of `territoire` and its neighbours within `buffer_km`, from `source`.

    `source` is "embarque", "api", "dataspace", a picture of the history ("historique:2026-12-01",
    see `Historique.trouver`) or the path of a local file. When an online source fails and has no
    good cache, the embedded snapshot is served and the message says so, unless `repli_embarque` is
    False (the CLI: a file asked from the API must not silently hold old data).
    """
    if source == "embarque":
        return lieux_embarques(territoire, buffer_km)
    if source.startswith("historique:"):
        from .sources.historique import Historique, PhotoIntrouvable

        historique = Historique()
        try:
            photo = historique.trouver(source, territoire.id)
        except PhotoIntrouvable as exc:
            raise SourceIndisponible(str(exc)) from exc
        return charger_photo(photo, territoire, buffer_km, historique)
    if source in ("api", "dataspace"):
        try:
            resultat = _charger_en_ligne(territoire, source, api_url=api_url, token=token, buffer_km=buffer_km, progress=progress)
        except SourceIndisponible as exc:
            if not repli_embarque:
                raise
            repli = lieux_embarques(territoire, buffer_km)
            info = SourceInfo(
                nom="embarque",
                libelle=SNAPSHOT_LABEL,
                date=repli.source.date,
                repli=True,
                message=f"{exc} Affichage de l'instantané embarqué à la place. {SNAPSHOT_NOTE}",
            )
            return Lieux(lieux=repli.lieux, source=info, rapport=repli.rapport, champs_v0=repli.champs_v0)
        resultat.lieux = restreindre(resultat.lieux, territoire, buffer_km)
        return resultat
    from .sources.fichier import FichierIllisible, charger_fichier

    path = Path(source)
    if not path.is_file():
        raise SourceIndisponible(
            f"Source inconnue ou fichier introuvable : « {source} ». Choisissez embarque, api, dataspace ou le chemin d'un fichier."
        )
    try:
        resultat = charger_fichier(path)
    except FichierIllisible as exc:
        raise SourceIndisponible(str(exc)) from exc
    resultat.lieux = restreindre(resultat.lieux, territoire, buffer_km)
    return resultat


def charger_photo(photo: Photo, territoire, buffer_km: float = BUFFER_KM, historique: Historique | None = None) -> Lieux:
    """The places of a picture of the history, read as its source would have read them, then
    restricted to `territoire` and its neighbours (a picture of France covers every territory)."""
    from .sources import api, dataspace, fichier
    from .sources.historique import Historique, PhotoIllisible
    from .sources.http import DownloadError

    info = SourceInfo(nom="historique", libelle=photo.libelle, date=photo.date, message=photo.description)
    try:
        payload = (historique or Historique()).contenu(photo)
        if photo.source == "api":
            raw, notes = api.parse_export(payload)
            resultat = api.to_lieux(raw, "api", info, notes)
        elif photo.source == "dataspace":
            resultat = dataspace.to_lieux(dataspace.parse_items(payload), info, [])
        else:
            lu = fichier.charger_fichier(payload, photo.nom_fichier)
            resultat = Lieux(lieux=lu.lieux, source=info, rapport=lu.rapport, champs_v0=lu.champs_v0)
    except (PhotoIllisible, fichier.FichierIllisible) as exc:
        raise SourceIndisponible(str(exc)) from exc
    except DownloadError as exc:
        raise SourceIndisponible(f"La photo du {photo.jour} n'est plus lisible ({exc.reason}) : choisissez-en une autre.") from exc
    resultat.lieux = restreindre(resultat.lieux, territoire, buffer_km)
    return resultat


def _charger_en_ligne(territoire, source, *, api_url, token, buffer_km, progress) -> Lieux:
    extra = sorted(_communes_perimetre(territoire, buffer_km) - set(territoire.codes_communes))
    if source == "api":
        from .sources import api

        return api.fetch_places(territoire, extra_communes=extra, base_url=api_url, progress=progress)
    from .sources import dataspace

    return dataspace.fetch_places(territoire, extra_communes=extra, token=token, progress=progress)


def dans_territoire(lieux: gpd.GeoDataFrame, territoire) -> pd.Series:
    """True for places located in the territory itself (not a neighbour within the buffer).

    A place whose commune is unknown belongs to no territory, France included: the diagnostic
    counts it apart (`lieux.sans_commune`).
    """
    if territoire.niveau == "france":
        return lieux[CODE_COMMUNE].astype(str) != ""
    return lieux[CODE_COMMUNE].isin(set(territoire.codes_communes))
