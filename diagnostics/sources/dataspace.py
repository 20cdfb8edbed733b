"""Client of the ANCT dataspace (PostgREST `/carto`, token required): paged JSON per territory,
flattened to the standard's v1 fields, normalized, cached (never the token), with fallback to the cache.
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable

import httpx

from ..standard.fields import LIST_FIELDS, LIST_SEPARATOR, field_names
from . import api, http
from .api import plan_requests, region_departements
from .base import Lieux, SourceInfo
from .cache import Cache, download_meta, with_fallback
from .historique import Historique

DEFAULT_BASE_URL = "https://api.inclusion-numerique.anct.gouv.fr"
CARTO_PATH = "/carto"
LIBELLE = "Dataspace de l'ANCT (API inclusion numérique, accès par jeton)"
PAGE_SIZE = 1000
MAX_PAGES = 500  # the whole country is ~20 pages of 1000: beyond this the server is not paging
JSON_TYPES = ("application/json", "application/vnd.pgrst.array+json")
CODE_INSEE = "adresse->>code_insee"
_TOKEN_REFUSED = (
    "Le dataspace de l'ANCT a refusé le jeton d'accès (jeton refusé ou expiré) : vérifiez "
    "DIAGNOSTIC_DATASPACE_TOKEN ou demandez un nouveau jeton à l'ANCT (cartographie.sonum@anct.gouv.fr)."
)
SERVICE = http.Service("le dataspace de l'ANCT", {401: _TOKEN_REFUSED, 403: _TOKEN_REFUSED})
_ADDRESS_KEYS = ("commune", "code_postal", "code_insee")
# Names, e-mails and phones of the mediators: personal data the dashboard never uses, so never stored.
_PERSONAL_KEYS = ("mediateurs",)
_CONTENT_RANGE = re.compile(r"^\s*(?:\d+-\d+|\*)/(\d+|\*)\s*$")


def fetch_places(
    territoire,
    *,
    extra_communes: Iterable[str] = (),
    extra_departements: Iterable[str] = (),
    token: str | None = None,
    base_url: str | None = None,
    client: httpx.Client | None = None,
    progress: http.Progress | None = None,
    cache: Cache | None = None,
    policy: http.RetryPolicy = http.DEFAULT_POLICY,
    page_size: int = PAGE_SIZE,
    historique: Historique | None = None,
) -> Lieux:
    """Places of `territoire` and of the neighbours given, from the dataspace `/carto` view.

    Token: `token`, else env DIAGNOSTIC_DATASPACE_TOKEN. Base URL: `base_url`, else env
    DIAGNOSTIC_DATASPACE_URL, else the ANCT's. Same cache, history and fallback as `api.fetch_places`.
    """
    base = (base_url or os.environ.get("DIAGNOSTIC_DATASPACE_URL") or DEFAULT_BASE_URL).rstrip("/")
    url = base + CARTO_PATH
    token = token or os.environ.get("DIAGNOSTIC_DATASPACE_TOKEN", "")
    filters = plan_filters(territoire, extra_communes, extra_departements)
    cache = cache or Cache()

    def download() -> tuple[Lieux, bytes, dict]:
        if not token:
            raise http.DownloadError(
                "Le dataspace de l'ANCT demande un jeton d'accès : renseignez DIAGNOSTIC_DATASPACE_TOKEN "
                "(jeton fourni par l'ANCT) ou choisissez l'API nationale, sans jeton.",
                "aucun jeton",
            )
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.pgrst.array+json;nulls=stripped",
            "Prefer": "count=exact",
        }
        items: list = []
        with http.client_scope(client) as c:
            for filt in filters:
                items.extend(_fetch_pages(c, url, filt, headers, policy, progress, page_size))
        items, merge_notes = merge_items(items)
        items = [_without_personal_data(item) for item in items]
        meta = download_meta("dataspace", territoire.id, url, len(items))
        lieux = to_lieux(items, _info(meta["telecharge_le"]), merge_notes)
        return lieux, json.dumps(items, ensure_ascii=False).encode("utf-8"), meta

    def parse_cached(payload: bytes) -> Lieux:
        return to_lieux(parse_items(payload), _info(""), [])

    key = Cache.key("dataspace", territoire.id, base, [json.dumps(f, sort_keys=True) for f in filters])
    historique = historique if historique is not None else Historique()
    return with_fallback(
        download, parse_cached, cache=cache, key=key, service=SERVICE.title, refus=(401, 403), historique=historique
    )


def plan_filters(
    territoire, extra_communes: Iterable[str] = (), extra_departements: Iterable[str] = ()
) -> list[dict[str, str]]:
    """PostgREST filters covering the territory and its neighbours: none for France (paging keeps each
    response small), `like.DEP*` per département (a region is its départements), `in.(…)` for communes."""
    if territoire.niveau == "france":
        return [{}]
    filters = []
    for territoire_type, codes in plan_requests(territoire, extra_communes, extra_departements):
        if territoire_type == "regions":
            filters += [{CODE_INSEE: f"like.{dep}*"} for dep in region_departements(codes)]
        elif territoire_type == "departements":
            filters.append({CODE_INSEE: f"like.{codes}*"})
        else:
            filters.append({CODE_INSEE: f"in.({codes})"})
    return filters


def _fetch_pages(
    client: httpx.Client,
    url: str,
    filt: dict[str, str],
    headers: dict[str, str],
    policy: http.RetryPolicy,
    progress: http.Progress | None,
    page_size: int,
) -> list:
    """Every item matching `filt`, page by page; stops at the announced total, a short page or a 416."""
    items: list = []
    offset, total = 0, None
    for _ in range(MAX_PAGES):
        # Stable order, or offset paging could skip or repeat places.
        params = {**filt, "order": "id.asc", "limit": str(page_size), "offset": str(offset)}
        so_far = f"({offset} lieux reçus sur {total})" if total else ""
        response = http.get(
            client, url, SERVICE, params=params, headers=headers, content_types=JSON_TYPES,
            ok_statuses=(200, 206, 416), policy=policy, progress=http.annotate(progress, so_far),
        )
        if response.status == 416:  # offset past the end: the previous page was the last
            return items
        page = parse_items(response.content)
        items.extend(page)
        offset += len(page)
        total = _total(response.headers.get("Content-Range"))
        if not page or (offset >= total if total is not None else len(page) < page_size):
            return items
    raise http.DownloadError(
        f"Le dataspace de l'ANCT renvoie toujours de nouvelles pages (plus de {MAX_PAGES}) : réessayez plus tard ou choisissez l'API nationale.",
        "pagination sans fin",
    )


def _total(content_range: str | None) -> int | None:
    match = _CONTENT_RANGE.match(content_range or "")
    return int(match.group(1)) if match and match.group(1) != "*" else None


def parse_items(payload: bytes) -> list:
    """Decode a `/carto` JSON array; raises `DownloadError` on invalid UTF-8, invalid JSON or a non-array."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad_payload("n'est pas en UTF-8", "encodage invalide") from None
    except json.JSONDecodeError as exc:
        raise _bad_payload(f"n'est pas du JSON valide (ligne {exc.lineno}, colonne {exc.colno}), sans doute coupé", "JSON invalide") from None
    if not isinstance(data, list):
        raise _bad_payload("n'est pas une liste de lieux", "JSON inattendu")
    return data


def merge_items(items: list) -> tuple[list, list[str]]:
    """Items without exact repeats (overlapping filters); same id with different content is kept and noted."""
    seen: dict[str, None] = {}
    unique = []
    for item in items:
        fingerprint = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if fingerprint not in seen:
            seen[fingerprint] = None
            unique.append(item)
    notes = []
    if len(unique) < len(items):
        notes.append(f"{len(items) - len(unique)} lieu(x) reçu(s) en double (filtres qui se recouvrent) comptés une seule fois.")
    ids = [str(item["id"]) for item in unique if isinstance(item, dict) and item.get("id")]
    clashes = len(ids) - len(set(ids))
    if clashes:
        notes.append(f"{clashes} identifiant(s) répété(s) sur des lieux de contenus différents : tous sont conservés.")
    return unique, notes


def flatten_item(item: dict) -> dict:
    """One `/carto` item → a flat v1 record (`|`-joined lists, address parts joined like the site's export)."""
    record = {}
    for name in field_names():
        if name in item and name != "adresse":
            record[name] = _flat_value(item[name], name in LIST_FIELDS)
    address = item.get("adresse")
    if isinstance(address, dict):
        for key in _ADDRESS_KEYS:
            if address.get(key) is not None:
                record[key] = str(address[key])
        number = "".join(str(address.get(key) or "") for key in ("numero_voie", "repetition"))
        record["adresse"] = " ".join(part for part in (number, str(address.get("nom_voie") or "")) if part)
    elif address is not None:
        record["adresse"] = str(address)
    return record


def _without_personal_data(item):
    return {k: v for k, v in item.items() if k not in _PERSONAL_KEYS} if isinstance(item, dict) else item


def _flat_value(value, is_list: bool):
    if value is None:
        return ""
    if isinstance(value, list):
        values = [str(v) for v in value if v is not None and str(v) != ""]
        return LIST_SEPARATOR.join(values) if is_list or len(values) != 1 else values[0]
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def to_lieux(items: list, info: SourceInfo, notes: list[str]) -> Lieux:
    """`/carto` items (as `parse_items` gives them) → normalized places, with notes on what was not read."""
    records, unreadable = [], 0
    ignored: dict[str, None] = {}
    for item in items:
        if not isinstance(item, dict):
            unreadable += 1
            continue
        records.append(flatten_item(item))
        ignored.update(dict.fromkeys(k for k in item if k not in field_names()))
    notes = list(notes)
    if unreadable:
        notes.append(f"{unreadable} élément(s) de la réponse du dataspace ne sont pas des lieux (pas un objet JSON) et n'ont pas pu être lus.")
    if ignored:
        notes.append(f"Champs du dataspace hors du standard, non repris : {', '.join(sorted(ignored))}.")
    return api.to_lieux(records, "dataspace", info, notes)


def _info(date: str) -> SourceInfo:
    return SourceInfo(nom="dataspace", libelle=LIBELLE, date=date)


def _bad_payload(what: str, reason: str) -> http.DownloadError:
    return http.DownloadError(f"La réponse du dataspace de l'ANCT {what} : réessayez plus tard.", reason)
