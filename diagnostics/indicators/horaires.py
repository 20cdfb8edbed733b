"""Opening hours: the standard's `horaires` (OSM opening_hours syntax) read with opening-hours-py, turned
into hours per week, Saturday / Sunday / evening opening and "open at a given time".

Weekly figures are measured on a fixed reference week, Monday 16 to Sunday 22 March 2026 (ISO week 12):
no public holiday, outside every zone's school holidays, no daylight-saving change, so rules such as
`PH off` or `Jul-Aug off` do not distort an ordinary week. Each distinct string is parsed once per
process (the real data hold about 2,000 distinct values for 4,000 places).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from opening_hours import OpeningHours, State

from ..standard.fields import CODE_COMMUNE

DEBUT_SEMAINE_REFERENCE = datetime(2026, 3, 16)
FIN_SEMAINE_REFERENCE = DEBUT_SEMAINE_REFERENCE + timedelta(days=7)
HEURE_SOIR = 18  # "open in the evening" = open at some moment after 18:00
_JOUR = 86400.0  # seconds

NON_RENSEIGNE = "non renseigné"
EXPLOITABLE = "exploitable"
NON_EXPLOITABLE = "non exploitable"

FUSEAU_METROPOLE = "Europe/Paris"
# Overseas places are read in their own wall-clock time (the standard's hours are local times).
FUSEAUX_OUTRE_MER = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
}

COLONNES = ["statut", "heures_hebdo", "jours_ouverts", "ouvert_samedi", "ouvert_dimanche",
            "ouvert_week_end", "ouvert_soir", "commentaire", "erreur"]


@dataclass(frozen=True)
class _Lecture:
    """What one distinct `horaires` string says over the reference week."""

    statut: str
    heures_hebdo: float = np.nan
    jours_ouverts: int | None = None
    ouvert_samedi: bool | None = None
    ouvert_dimanche: bool | None = None
    ouvert_soir: bool | None = None
    commentaire: str = ""
    erreur: str = ""


def _rust_call(fn, *args):
    """Call into opening-hours-py; it raises ParserError on bad syntax and may even panic (a
    BaseException) on odd inputs, so anything but an interrupt becomes an error message."""
    try:
        return fn(*args), ""
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 — Rust panics are BaseException
        return None, _short_error(exc)


def _short_error(exc: BaseException) -> str:
    lines = [line.strip(" =|") for line in str(exc).splitlines() if line.strip(" =|^-")]
    detail = lines[-1] if lines else type(exc).__name__
    return f"syntaxe OSM opening_hours non reconnue ({detail})"


@lru_cache(maxsize=50_000)
def _parse(valeur: str) -> tuple[OpeningHours | None, str]:
    return _rust_call(OpeningHours, valeur)


@lru_cache(maxsize=50_000)
def _lire(valeur: str) -> _Lecture:
    if not valeur:
        return _Lecture(NON_RENSEIGNE)
    oh, erreur = _parse(valeur)
    if oh is None:
        return _Lecture(NON_EXPLOITABLE, erreur=erreur)
    intervals, erreur = _rust_call(lambda: list(oh.intervals(DEBUT_SEMAINE_REFERENCE, FIN_SEMAINE_REFERENCE)))
    if intervals is None:
        return _Lecture(NON_EXPLOITABLE, erreur=erreur)
    spans = np.array(
        [((start - DEBUT_SEMAINE_REFERENCE).total_seconds(), (end - DEBUT_SEMAINE_REFERENCE).total_seconds())
         for start, end, state, _ in intervals if state == State.OPEN],
        dtype="float64",
    ).reshape(-1, 2)
    comments = sorted({comment for *_, comment in intervals if comment})
    day_starts = np.arange(7) * _JOUR
    open_days = _overlap(spans, day_starts, day_starts + _JOUR) > 0
    evening = _overlap(spans, day_starts + HEURE_SOIR * 3600, day_starts + _JOUR) > 0
    return _Lecture(
        EXPLOITABLE,
        heures_hebdo=float(_overlap(spans, np.array([0.0]), np.array([7 * _JOUR]))[0]) / 3600,
        jours_ouverts=int(open_days.sum()),
        ouvert_samedi=bool(open_days[5]),
        ouvert_dimanche=bool(open_days[6]),
        ouvert_soir=bool(evening.any()),
        commentaire=" ; ".join(comments),
    )



def _overlap(spans: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Seconds of the [start, end) spans (rows of `spans`, in seconds from the week's start) falling
    in each window [starts[k], ends[k])."""
    inside = np.minimum(spans[:, 1:2], ends) - np.maximum(spans[:, 0:1], starts)
    return np.clip(inside, 0, None).sum(axis=0)


def _valeurs(places: pd.DataFrame) -> pd.Series:
    if "horaires" not in places:
        return pd.Series("", index=places.index, dtype="str")
    return places["horaires"].fillna("").astype("str").str.strip()


def analyser_horaires(places: pd.DataFrame) -> pd.DataFrame:
    """Read every place's `horaires` (indexed like `places`).

    Columns: statut ("exploitable", "non exploitable", "non renseigné"); heures_hebdo (hours open over
    the reference week, NaN unless exploitable); jours_ouverts; ouvert_samedi, ouvert_dimanche,
    ouvert_week_end, ouvert_soir (open at some moment after 18:00) as nullable booleans (NA unless
    exploitable); commentaire (comments of the expression, e.g. "sur rendez-vous"); erreur (why a
    value could not be read). Only the "open" state counts as open: "unknown" hours do not.
    """
    valeurs = _valeurs(places)
    lectures = {v: _lire(v) for v in valeurs.unique()}
    table = pd.DataFrame.from_dict(
        {v: vars(lecture) for v, lecture in lectures.items()}, orient="index", columns=[c for c in COLONNES
                                                                                       if c != "ouvert_week_end"]
    )
    out = table.reindex(valeurs.to_numpy())
    out.index = places.index
    for col in ("ouvert_samedi", "ouvert_dimanche", "ouvert_soir"):
        out[col] = out[col].astype("boolean")
    out["ouvert_week_end"] = out["ouvert_samedi"] | out["ouvert_dimanche"]
    out["heures_hebdo"] = out["heures_hebdo"].astype("float64")
    out["jours_ouverts"] = out["jours_ouverts"].astype("Int64")
    for col in ("statut", "commentaire", "erreur"):
        out[col] = out[col].astype(object)
    return out[COLONNES]


def heures_hebdomadaires(places: pd.DataFrame) -> pd.Series:
    """Hours open per week of each place (reference week), NaN when hours are missing or unreadable.

    Meant as supply weights for E2SFCA: the caller decides how to fill NaN (e.g. with the median of
    the known values) and should say so.
    """
    return analyser_horaires(places)["heures_hebdo"].rename("heures_hebdo")


def fuseau(places: pd.DataFrame) -> pd.Series:
    """IANA time zone of each place, from its 2026 commune code, INSEE code or postcode."""
    code = pd.Series("", index=places.index, dtype=object)
    for col in (CODE_COMMUNE, "code_insee", "code_postal"):
        if col in places:
            values = places[col].fillna("").astype(str)
            code = code.where(code != "", values)
    return code.str[:3].map(FUSEAUX_OUTRE_MER).fillna(FUSEAU_METROPOLE).astype(object)


def ouvert_a(places: pd.DataFrame, quand: datetime) -> pd.Series:
    """Whether each place is open at `quand` (nullable boolean, NA when hours are missing or unreadable).

    An aware `quand` is converted to each place's local time (Paris, or the overseas zone); a naive
    one is taken as Paris time.
    """
    if quand.tzinfo is None:
        quand = quand.replace(tzinfo=ZoneInfo(FUSEAU_METROPOLE))
    valeurs = _valeurs(places)
    zones = fuseau(places)
    local = {z: quand.astimezone(ZoneInfo(z)).replace(tzinfo=None) for z in zones.unique()}
    cache: dict[tuple[str, str], bool | None] = {}
    result = []
    for valeur, zone in zip(valeurs, zones):
        key = (valeur, zone)
        if key not in cache:
            cache[key] = _is_open(valeur, local[zone])
        result.append(cache[key])
    return pd.Series(pd.array(result, dtype="boolean"), index=places.index, name="ouvert")


def _is_open(valeur: str, moment: datetime) -> bool | None:
    if not valeur:
        return None
    oh, _ = _parse(valeur)
    if oh is None:
        return None
    is_open, _ = _rust_call(oh.is_open, moment)
    return is_open


def horaires_non_exploitables(places: pd.DataFrame) -> pd.DataFrame:
    """Distinct unreadable values with how many places carry them (valeur, nombre, erreur), most
    frequent first."""
    return _non_exploitables(places, analyser_horaires(places))


def _non_exploitables(places: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    bad = table["statut"] == NON_EXPLOITABLE
    frame = pd.DataFrame({"valeur": _valeurs(places)[bad], "erreur": table.loc[bad, "erreur"]})
    out = frame.groupby(["valeur", "erreur"], sort=False).size().rename("nombre").reset_index()
    out = out.sort_values(["nombre", "valeur"], ascending=[False, True], ignore_index=True)
    return out[["valeur", "nombre", "erreur"]]


def resume_horaires(places: pd.DataFrame, quand: datetime | None = None, max_valeurs: int = 50) -> dict:
    """JSON-ready summary: how many places have readable hours, median hours per week, shares open on
    Saturday, Sunday, the weekend and evenings (over places with readable hours), open at `quand`
    when given, and the unreadable values (at most `max_valeurs`, most frequent first)."""
    table = analyser_horaires(places)
    ok = table["statut"] == EXPLOITABLE
    n_ok = int(ok.sum())
    heures = table.loc[ok, "heures_hebdo"]

    def share(col: str):
        return round(float(table.loc[ok, col].sum()) / n_ok, 6) if n_ok else None

    bad = _non_exploitables(places, table)
    resume = {
        "semaine_reference": f"{DEBUT_SEMAINE_REFERENCE:%Y-%m-%d} / {FIN_SEMAINE_REFERENCE - timedelta(days=1):%Y-%m-%d}",
        "nb_lieux": int(len(places)),
        "exploitables": n_ok,
        "non_exploitables": int((table["statut"] == NON_EXPLOITABLE).sum()),
        "non_renseignes": int((table["statut"] == NON_RENSEIGNE).sum()),
        "heures_hebdo_mediane": round(float(heures.median()), 2) if n_ok else None,
        "heures_hebdo_moyenne": round(float(heures.mean()), 2) if n_ok else None,
        "part_ouverts_samedi": share("ouvert_samedi"),
        "part_ouverts_dimanche": share("ouvert_dimanche"),
        "part_ouverts_week_end": share("ouvert_week_end"),
        "part_ouverts_soir": share("ouvert_soir"),
        "heure_soir": HEURE_SOIR,
        "valeurs_non_exploitables": [
            {"valeur": r.valeur, "nombre": int(r.nombre), "erreur": r.erreur} for r in bad.head(max_valeurs).itertuples()
        ],
        "nb_valeurs_non_exploitables": int(len(bad)),
    }
    if quand is not None:
        ouvert = ouvert_a(places, quand)
        resume["quand"] = quand.isoformat()
        resume["ouverts_a_cet_instant"] = int(ouvert.fillna(False).sum())
        resume["part_ouverts_a_cet_instant"] = round(float(ouvert.fillna(False).sum()) / n_ok, 6) if n_ok else None
    return resume
