"""Positions for places without coordinates: the Base Adresse Nationale batch geocoder (`/search/csv/`)
when asked and reachable, with an on-disk cache; otherwise, and for what it cannot place, the commune's
inner point, flagged as approximate.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from ..communes import commune_inner_points
from ..paths import cache_dir
from ..standard.fields import ANOMALIES, CODE_COMMUNE, POSITION_APPROX, to_places_frame
from .http import DEFAULT_POLICY, RETRY_STATUSES, SHARED_LIMITER, USER_AGENT, DownloadError, RetryPolicy, new_client

BAN_URL = "https://api-adresse.data.gouv.fr"
SCORE_MIN = 0.6  # below this the BAN's own documentation calls a match doubtful
_PRECIS = ("housenumber", "street")  # result types that place the address itself, not the commune
CHANGEMENT_COLUMNS = ["ligne", "champ", "avant", "apres", "regle"]


@dataclass
class Geocodage:
    """Result of `geocoder`: the places with positions filled, the changes, and French report lines."""

    lieux: pd.DataFrame
    changements: pd.DataFrame
    rapport: list[str] = field(default_factory=list)
    n_ban: int = 0
    n_commune: int = 0
    n_sans_position: int = 0


def url_ban(ban: bool | str) -> str | None:
    """The BAN base address to use: an explicit one, else env DIAGNOSTIC_BAN_URL, else the public service;
    None when geocoding online is off (`ban` False)."""
    if not ban:
        return None
    if isinstance(ban, str):
        return ban.rstrip("/")
    return os.environ.get("DIAGNOSTIC_BAN_URL", BAN_URL).rstrip("/")


def geocoder(
    lieux: pd.DataFrame,
    ban: bool | str = False,
    *,
    dossier_cache: Path | None = None,
    client: httpx.Client | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> Geocodage:
    """Fill the coordinates of places that have none.

    Parameters
    ----------
    lieux : canonical places frame (`code_commune_2026` set by `attach_communes` helps the fallback).
    ban : False (offline: commune inner points only), True (env DIAGNOSTIC_BAN_URL or the public BAN),
        or the BAN base address.
    dossier_cache : where answers are kept (default: the user cache, folder "ban").

    Returns
    -------
    Geocodage
        Places in the same order; rows placed by the BAN or at their commune's inner point are noted in
        `anomalies`, the latter with `position_approximative` True.
    """
    out = lieux.drop(columns="geometry", errors="ignore").reset_index(drop=True).copy()
    n = len(out)
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype=float).copy()
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype=float).copy()
    manque = ~(np.isfinite(lat) & np.isfinite(lon))
    notes = [[] for _ in range(n)]
    approx = out[POSITION_APPROX].fillna(False).astype(bool).to_numpy().copy() if POSITION_APPROX in out else np.zeros(n, bool)
    rapport: list[str] = []
    regle = np.full(n, "", dtype=object)
    n_ban = 0

    base = url_ban(ban)
    if base and manque.any():
        trouves, erreur = _ban(out, np.flatnonzero(manque), base, dossier_cache, client, policy)
        if erreur is not None:
            rapport.append(f"{erreur} Les lieux sans coordonnées sont placés au centre de leur commune.")
        for i, (la, lo, score, genre, libelle) in trouves.items():
            lat[i], lon[i] = la, lo
            approx[i] = genre not in _PRECIS
            regle[i] = "position trouvée par la Base Adresse Nationale"
            score_texte = f"{score:.2f}".replace(".", ",")
            notes[i].append(f"position trouvée par la Base Adresse Nationale (« {libelle} », score {score_texte})")
        n_ban = len(trouves)

    reste = np.flatnonzero(~(np.isfinite(lat) & np.isfinite(lon)))
    codes = out[CODE_COMMUNE] if CODE_COMMUNE in out else pd.Series([""] * n)
    codes = codes.where(codes != "", out["code_insee"]).iloc[reste]
    points = commune_inner_points(codes.reset_index(drop=True))
    places = points.notna().all(axis=1).to_numpy()
    placees = reste[places]
    lat[placees] = points["latitude"].to_numpy()[places]
    lon[placees] = points["longitude"].to_numpy()[places]
    approx[placees] = True
    regle[placees] = "position approximative : centre de la commune"
    for i in placees:
        notes[i].append("position approximative : centre de la commune (adresse non géolocalisée)")
    n_commune = int(places.sum())
    n_sans = len(reste) - n_commune

    avant_lat, avant_lon = out["latitude"].copy(), out["longitude"].copy()
    out["latitude"], out["longitude"] = lat, lon
    out[POSITION_APPROX] = approx
    anciennes = out[ANOMALIES].fillna("").astype(str).tolist() if ANOMALIES in out else [""] * n
    out[ANOMALIES] = ["; ".join([p for p in [a, *nouv] if p]) for a, nouv in zip(anciennes, notes)]
    changes = _changements(regle, avant_lat, avant_lon, lat, lon)
    if n_ban:
        rapport.append(f"{n_ban} lieux sans coordonnées placés à leur adresse par la Base Adresse Nationale")
    if n_commune:
        rapport.append(f"{n_commune} lieux sans coordonnées placés au centre de leur commune (position approximative)")
    if n_sans:
        rapport.append(f"{n_sans} lieux restent sans position : ni coordonnées, ni commune reconnue")
    return Geocodage(to_places_frame(out), changes, rapport, n_ban, n_commune, n_sans)


def _changements(regle, avant_lat, avant_lon, lat, lon) -> pd.DataFrame:
    lignes = np.flatnonzero(regle != "")
    parts = []
    for nom, avant, apres in (("latitude", avant_lat, lat), ("longitude", avant_lon, lon)):
        parts.append(
            pd.DataFrame(
                {
                    "ligne": lignes + 1,
                    "champ": nom,
                    "avant": ["" for _ in lignes],
                    "apres": [repr(float(apres[i])) for i in lignes],
                    "regle": regle[lignes],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[CHANGEMENT_COLUMNS]


# --- the Base Adresse Nationale --------------------------------------------------------------


def _requete(row: pd.Series) -> str:
    return " | ".join(str(row.get(k, "") or "").strip() for k in ("adresse", "code_postal", "commune", "code_insee"))


def _ban(
    out: pd.DataFrame, lignes: np.ndarray, base: str, dossier: Path | None, client, policy
) -> tuple[dict[int, tuple], DownloadError | None]:
    """Row → (lat, lon, score, type, label) for the rows the BAN places with enough confidence, and the
    failure of the request if any (the answers already cached are used all the same)."""
    requetes = {int(i): _requete(out.iloc[i]) for i in lignes if str(out.iloc[i]["adresse"]).strip()}
    chemin = (dossier or cache_dir() / "ban") / "adresses.json"
    cache = _lire_cache(chemin)
    a_demander = sorted({q for q in requetes.values() if _cle(q) not in cache})
    erreur = None
    if a_demander:
        try:
            cache.update(_appeler(out, requetes, a_demander, base, client, policy))
        except DownloadError as exc:
            erreur = exc
        else:
            _ecrire_cache(chemin, cache)
    trouves = {}
    for i, q in requetes.items():
        hit = cache.get(_cle(q))
        if hit and hit[2] >= SCORE_MIN and hit[3] != "municipality":
            trouves[i] = tuple(hit)
    return trouves, erreur


def _cle(requete: str) -> str:
    return hashlib.sha256(requete.encode("utf-8")).hexdigest()[:24]


def _appeler(out, requetes: dict[int, str], a_demander: list[str], base: str, client, policy) -> dict[str, list | None]:
    premier = {}
    for i, q in requetes.items():
        premier.setdefault(q, i)
    texte = io.StringIO()
    writer = csv.writer(texte, lineterminator="\n")
    writer.writerow(["cle", "adresse", "code_postal", "commune", "code_insee"])
    for q in a_demander:
        row = out.iloc[premier[q]]
        writer.writerow([_cle(q), *(str(row.get(k, "") or "").strip() for k in ("adresse", "code_postal", "commune", "code_insee"))])
    corps = _poster(f"{base}/search/csv/", texte.getvalue().encode("utf-8"), client, policy)
    resultats: dict[str, list | None] = {_cle(q): None for q in a_demander}
    try:
        lecteur = csv.DictReader(io.StringIO(corps.decode("utf-8-sig")))
        if not {"cle", "latitude", "longitude"} <= set(lecteur.fieldnames or ()):
            # A web page or a changed format: caching "not found" for every address would hide them
            # from the next, working, request.
            raise DownloadError(
                "La Base Adresse Nationale a renvoyé une réponse au format inattendu (colonnes cle, latitude ou "
                "longitude absentes) : réessayez plus tard ou vérifiez l'adresse du service (DIAGNOSTIC_BAN_URL).",
                "réponse au format inattendu",
            )
        for ligne in lecteur:
            try:
                la, lo = float(ligne["latitude"]), float(ligne["longitude"])
                score = float(ligne.get("result_score") or 0)
            except (TypeError, ValueError, KeyError):
                continue
            if ligne.get("cle") in resultats and np.isfinite(la) and np.isfinite(lo):
                resultats[ligne["cle"]] = [la, lo, score, ligne.get("result_type", ""), ligne.get("result_label", "")]
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DownloadError(
            "La Base Adresse Nationale a renvoyé une réponse illisible : réessayez plus tard.", "réponse illisible"
        ) from exc
    return resultats


def _poster(url: str, donnees: bytes, client: httpx.Client | None, policy: RetryPolicy) -> bytes:
    """POST the CSV of addresses, retrying like the shared GET does; French DownloadError on failure."""
    champs = {"columns": ["adresse", "commune"], "postcode": "code_postal", "citycode": "code_insee"}
    proprietaire = client is None
    client = client or new_client()
    try:
        for essai in range(1, policy.tries + 1):
            SHARED_LIMITER.acquire()
            try:
                reponse = client.post(
                    url, data=champs, files={"data": ("adresses.csv", donnees, "text/csv")},
                    headers={"User-Agent": USER_AGENT},
                )
            except (httpx.TransportError, httpx.InvalidURL):
                raison = "connexion impossible"
            else:
                if reponse.status_code == 200:
                    return reponse.content
                if reponse.status_code not in RETRY_STATUSES:
                    raise DownloadError(
                        f"La Base Adresse Nationale a refusé la demande (erreur {reponse.status_code}) : "
                        "vérifiez l'adresse du service (DIAGNOSTIC_BAN_URL).",
                        f"erreur {reponse.status_code}", reponse.status_code,
                    )
                raison = f"erreur {reponse.status_code}"
            if essai < policy.tries:
                time.sleep(min(policy.backoff * 2 ** (essai - 1), policy.backoff_max))
        raise DownloadError(f"La Base Adresse Nationale n'a pas répondu ({raison}).", raison)
    finally:
        if proprietaire:
            client.close()


def _lire_cache(chemin: Path) -> dict:
    try:
        data = json.loads(chemin.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _ecrire_cache(chemin: Path, cache: dict) -> None:
    # Atomic replace: a killed process never leaves a half-written cache behind. A cache that cannot be
    # written only costs a new request next time.
    try:
        chemin.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=chemin.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cache, f)
        os.replace(tmp, chemin)
    except OSError:
        pass
