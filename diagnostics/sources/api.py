"""Client of the national places export (cartographie.societenumerique.gouv.fr, no token): one
territory → a few CSV requests, checked, merged, normalized, cached, with fallback to the cache.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache

import httpx
import pandas as pd

from .. import reference
from ..communes import attach_communes
from ..standard.fields import field_names, required_fields
from ..standard.normalize import normalize
from . import http
from .base import Lieux, SourceInfo
from .cache import Cache, download_meta, with_fallback
from .historique import Historique

DEFAULT_BASE_URL = "https://cartographie.societenumerique.gouv.fr"
EXPORT_PATH = "/api/lieux/exporter"
LIBELLE = "API nationale (cartographie des lieux d'inclusion numérique)"
CODES_PER_REQUEST = 100  # keeps each URL well under 1 KB
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")
SERVICE = http.Service(
    "l'API nationale",
    {
        403: "L'export national refuse cette connexion (403) : il bloque certains réseaux hors de France et les robots. "
        "Essayez depuis un autre réseau ou utilisez l'instantané embarqué.",
        504: "L'export national n'a pas pu être préparé dans le délai imparti (504) : restreignez le territoire "
        "(un département plutôt qu'une région) ou réessayez plus tard.",
    },
)
FRANCE_NOTE = (
    "Export national demandé région par région : les lieux sans code INSEE, que le site ne rattache à aucune "
    "région, n'y figurent pas."
)


def fetch_places(
    territoire,
    *,
    extra_communes: Iterable[str] = (),
    extra_departements: Iterable[str] = (),
    base_url: str | None = None,
    client: httpx.Client | None = None,
    progress: http.Progress | None = None,
    cache: Cache | None = None,
    policy: http.RetryPolicy = http.DEFAULT_POLICY,
    historique: Historique | None = None,
) -> Lieux:
    """Places of `territoire` (any object with id, niveau, code, codes_communes) and of the neighbour
    communes / départements given, from the national export.

    The base URL is `base_url`, else env DIAGNOSTIC_API_URL, else the public site. On success the
    merged CSV is cached and kept as a dated picture in `historique` (default: `Historique()`); on
    failure the last good cache is served (`repli=True`), else `SourceIndisponible` is raised with a
    French message.
    """
    base = (base_url or os.environ.get("DIAGNOSTIC_API_URL") or DEFAULT_BASE_URL).rstrip("/")
    url = base + EXPORT_PATH
    plan = plan_requests(territoire, extra_communes, extra_departements)
    cache = cache or Cache()
    base_notes = [FRANCE_NOTE] if territoire.niveau == "france" else []

    def download() -> tuple[Lieux, bytes, dict]:
        frames, notes = [], list(base_notes)
        with http.client_scope(client) as c:
            for number, (territoire_type, codes) in enumerate(plan, start=1):
                response = http.get(
                    c,
                    url,
                    SERVICE,
                    params={"territoire_type": territoire_type, "territoires": codes},
                    headers={"Accept": "text/csv"},
                    content_types=CSV_TYPES,
                    policy=policy,
                    progress=http.annotate(progress, f"(partie {number}/{len(plan)})" if len(plan) > 1 else ""),
                )
                frame, part_notes = parse_export(response.content)
                frames.append(frame)
                notes.extend(part_notes)
        raw, merge_notes = merge_rows(frames)
        meta = download_meta("api", territoire.id, url, len(raw))
        lieux = to_lieux(raw, "api", _info(meta["telecharge_le"]), [*notes, *merge_notes])
        return lieux, to_csv_bytes(raw), meta

    def parse_cached(payload: bytes) -> Lieux:
        raw, cached_notes = parse_export(payload)
        return to_lieux(raw, "api", _info(""), [*base_notes, *cached_notes])

    key = Cache.key("api", territoire.id, base, [f"{t}={c}" for t, c in plan])
    historique = historique if historique is not None else Historique()
    return with_fallback(download, parse_cached, cache=cache, key=key, service=SERVICE.title, historique=historique)


def plan_requests(
    territoire, extra_communes: Iterable[str] = (), extra_departements: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(territoire_type, comma-joined codes) of the export requests covering a territory and its neighbours.

    France is asked region by region (a single national export risks the site's 120 s timeout);
    commune lists are split into chunks of `CODES_PER_REQUEST` and widened to every code that maps to
    the same 2026 commune (old communes, Paris/Lyon/Marseille arrondissements), since places keep the
    code their address was geocoded with. Communes inside a département already asked are skipped.
    """
    niveau = territoire.niveau
    if niveau == "france":
        return [("regions", code) for code in sorted(reference.regions()["code"])]
    listes = ("epci", "commune", "arrondissement", "perimetre")  # asked as lists of communes
    if niveau not in ("region", "departement", *listes):
        raise ValueError(f"unknown territory level: {niveau!r}")
    plan: list[tuple[str, str]] = []
    covered: set[str] = set()
    if niveau == "region":
        plan.append(("regions", territoire.code))
        covered.update(region_departements(territoire.code))
    departements = [territoire.code] if niveau == "departement" else []
    for dep in [*departements, *extra_departements]:
        if dep not in covered:
            plan.append(("departements", dep))
            covered.add(dep)
    own = territoire.codes_communes if niveau in listes else ()
    wanted = dict.fromkeys(code for code in [*own, *extra_communes] if departement_of(code) not in covered)
    codes = commune_codes_with_history(wanted)
    for start in range(0, len(codes), CODES_PER_REQUEST):
        plan.append(("communes", ",".join(codes[start : start + CODES_PER_REQUEST])))
    return plan


def departement_of(commune_code: str) -> str:
    """Département code of a commune code (three characters overseas: 971…976)."""
    return commune_code[:3] if commune_code.startswith("97") else commune_code[:2]


def region_departements(region_code: str) -> list[str]:
    deps = reference.departements()
    return sorted(deps.loc[deps["reg"] == region_code, "code"])


def commune_codes_with_history(codes: Iterable[str]) -> list[str]:
    """`codes` followed by every other code (any vintage) that maps to one of them in 2026, without repeats."""
    history = _codes_by_2026_commune()
    out = dict.fromkeys(codes)
    for code in list(out):
        out.update(dict.fromkeys(history.get(code, ())))
    return list(out)


@lru_cache(maxsize=1)
def _codes_by_2026_commune() -> dict[str, tuple[str, ...]]:
    table = reference.passage()
    table = table[table["code_source"] != table["code_2026"]]
    return {code: tuple(sorted(group)) for code, group in table.groupby("code_2026")["code_source"]}


def parse_export(payload: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Check and read an export CSV → (raw string table as received, French notes).

    Raises `DownloadError` on bytes that are not UTF-8, an HTML page, a malformed or cut CSV, or
    missing required columns; absent optional and unexpected columns are tolerated and noted.
    """
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise http.DownloadError(
            f"Le fichier reçu de l'API nationale n'est pas en UTF-8 (octet invalide en position {exc.start}) : "
            "réessayez plus tard ou utilisez l'instantané embarqué.",
            "encodage invalide",
        ) from None
    if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        raise http.DownloadError(
            "L'API nationale a renvoyé une page web au lieu du fichier CSV (maintenance ou blocage probable) : "
            "réessayez plus tard ou utilisez l'instantané embarqué.",
            "page web reçue au lieu des données",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = [row for row in reader if row]
    except csv.Error:
        raise _invalid_csv(f"illisible à partir de la ligne {reader.line_num} (fichier coupé ou mal formé)") from None
    if not rows:
        raise _invalid_csv("vide, sans ligne d'en-tête")
    header = [name.strip() for name in rows[0]]
    bad = [number for number, row in enumerate(rows[1:], start=1) if len(row) != len(header)]
    if bad:
        raise _invalid_csv(f"mal formé : {len(bad)} lieu(x) n'ont pas {len(header)} colonnes (le premier est le n° {bad[0]})")
    missing_required = [name for name in required_fields() if name not in header]
    if missing_required:
        raise http.DownloadError(
            f"Le format de l'export national a changé (colonnes obligatoires absentes : {', '.join(missing_required)}) : "
            "utilisez l'instantané embarqué et signalez-le aux responsables du tableau de bord.",
            "colonnes modifiées",
        )
    notes = []
    missing = [name for name in field_names() if name not in header]
    if missing:
        notes.append(f"Colonnes absentes de l'export national, laissées vides : {', '.join(missing)}.")
    extra = [name for name in dict.fromkeys(header) if name not in field_names()]
    if extra:
        notes.append(f"Colonnes inattendues dans l'export national, non reprises : {', '.join(extra)}.")
    if len(set(header)) < len(header):
        notes.append("Colonnes en double dans l'export national : seule la première de chaque nom est lue.")
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    return frame.loc[:, ~frame.columns.duplicated()], notes


def merge_rows(frames: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """Concatenate raw tables, dropping rows received twice (overlapping requests); same id with
    different content is kept and noted."""
    if not frames:
        return pd.DataFrame(columns=list(field_names()), dtype=object), []
    raw = pd.concat(frames, ignore_index=True).astype(object).fillna("")
    repeated = raw.duplicated(keep="first")
    raw = raw[~repeated].reset_index(drop=True)
    notes = []
    if repeated.any():
        notes.append(f"{int(repeated.sum())} lieu(x) reçu(s) en double (requêtes qui se recouvrent) comptés une seule fois.")
    if "id" in raw:
        ids = raw["id"][raw["id"] != ""]
        clashes = ids[ids.duplicated(keep=False)].nunique()
        if clashes:
            notes.append(f"{clashes} identifiant(s) partagé(s) par des lieux de contenus différents : tous sont conservés.")
    return raw, notes


def to_csv_bytes(raw: pd.DataFrame) -> bytes:
    """The raw table as the export writes it (UTF-8, every cell quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(raw.columns)
    writer.writerows(raw.itertuples(index=False, name=None))
    return out.getvalue().encode("utf-8")


def to_lieux(raw: pd.DataFrame | list[dict], origine: str, info: SourceInfo, notes: list[str]) -> Lieux:
    """Normalize a raw table, attach places to their 2026 commune, and wrap it with its notes."""
    result = normalize(raw, origine)
    lieux = attach_communes(result.lieux)
    return Lieux(
        lieux=lieux, source=info, rapport=list(dict.fromkeys([*notes, *result.rapport])), champs_v0=result.champs_v0
    )


def _info(date: str) -> SourceInfo:
    return SourceInfo(nom="api", libelle=LIBELLE, date=date)


def _invalid_csv(what: str) -> http.DownloadError:
    return http.DownloadError(f"Le CSV reçu de l'API nationale est {what} : réessayez plus tard.", "CSV invalide")

