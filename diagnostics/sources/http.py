"""Shared HTTP plumbing for the online sources: one polite client, a per-process rate limit, retries
with backoff that honour Retry-After, streaming with progress, and French error messages.
"""
from __future__ import annotations

import contextlib
import email.utils
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

# The national export answers 403 to user agents that look like crawlers: name the product plainly.
USER_AGENT = "diagnostic-inclusion-numerique/0.1 (tableau de bord territorial open source ; python-httpx)"
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BYTES = 500_000_000  # the whole national export is ~30 MB; far beyond that something is wrong

Progress = Callable[[int, int | None, str], None]  # (bytes received, total or None, French message)


class DownloadError(Exception):
    """A download failed or returned unusable data.

    `str(error)` is one French sentence for the user (never holding a token); `reason` is a short French
    phrase for fallback messages (« erreur 503 », « délai dépassé »…); `status` the HTTP status if any.
    """

    def __init__(self, message: str, reason: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; tests shrink the waits."""

    tries: int = 4
    backoff: float = 1.0  # first wait in seconds, doubled after each failed try
    backoff_max: float = 30.0
    retry_after_max: float = 60.0  # a server asking for longer is waited for this long only


DEFAULT_POLICY = RetryPolicy()


class RateLimiter:
    """Token bucket: at most `rate` requests per second, `burst` of them back to back."""

    def __init__(self, rate: float = 10.0, burst: int = 1):
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a request may be sent."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            time.sleep(wait)


# One bucket for the whole process: Streamlit sessions share it, so together they stay polite
# (the public site allows 10 requests/s per IP and answers 429 beyond).
SHARED_LIMITER = RateLimiter(10.0)


@dataclass(frozen=True)
class Service:
    """Who we talk to, in the words used in messages: "l'API nationale", "le dataspace de l'ANCT"."""

    name: str
    messages: Mapping[int, str]  # status → French sentence, overriding the generic ones

    @property
    def title(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    @property
    def of(self) -> str:
        """« de l'API nationale », « du dataspace de l'ANCT »."""
        return "du " + self.name[3:] if self.name.startswith("le ") else "de " + self.name


@dataclass(frozen=True)
class Response:
    status: int
    headers: httpx.Headers
    content: bytes


def new_client(timeout: httpx.Timeout = TIMEOUT) -> httpx.Client:
    """An httpx client with the standard timeouts (`get` adds the product's User-Agent to every request)."""
    return httpx.Client(timeout=timeout, follow_redirects=True)


def client_scope(client: httpx.Client | None):
    """Context manager yielding `client` as is (the caller closes it), or a new client closed on exit."""
    return contextlib.nullcontext(client) if client is not None else new_client()


def annotate(progress: Progress | None, suffix: str) -> Progress | None:
    """`progress` with `suffix` appended to each message (e.g. « (partie 2/18) »)."""
    if progress is None or not suffix:
        return progress
    return lambda received, total, message: progress(received, total, f"{message} {suffix}")


def get(
    client: httpx.Client,
    url: str,
    service: Service,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    content_types: Iterable[str] = (),
    ok_statuses: Iterable[int] = (200,),
    policy: RetryPolicy = DEFAULT_POLICY,
    limiter: RateLimiter = SHARED_LIMITER,
    progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
) -> Response:
    """GET `url`, retrying on 429/5xx and connection failures; return the whole body.

    Raises `DownloadError` (French message) on any other status, on a body that is not one of
    `content_types` (checked on 200/206 only), or when every try failed.
    """
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    ok_statuses = tuple(ok_statuses)
    content_types = tuple(content_types)
    last_error: DownloadError | None = None
    for attempt in range(1, policy.tries + 1):
        limiter.acquire()
        wait: float | None = None
        reading = False
        try:
            with client.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code in RETRY_STATUSES:
                    last_error = _status_error(service, response.status_code)
                    wait = _retry_after(response.headers.get("Retry-After"), policy)
                elif response.status_code not in ok_statuses:
                    raise _status_error(service, response.status_code)
                else:
                    if response.status_code in (200, 206) and content_types:
                        _check_content_type(service, response.headers.get("Content-Type", ""), content_types)
                    reading = True
                    return Response(response.status_code, response.headers, _read(response, service, progress, max_bytes))
        except httpx.TimeoutException as exc:
            if not isinstance(exc, httpx.ConnectTimeout):
                # The export itself is slow (up to 120 s): asking again would only double the wait.
                raise DownloadError(
                    f"{service.title} n'a pas répondu à temps (délai dépassé) : réessayez plus tard ou choisissez un territoire plus petit.",
                    "délai dépassé",
                ) from None
            last_error = _connect_error(service, url)
        except httpx.ConnectError:
            last_error = _connect_error(service, url)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            last_error = (
                DownloadError(f"La réponse {service.of} a été coupée avant la fin : réessayez plus tard.", "réponse tronquée")
                if reading
                else DownloadError(f"{service.title} a coupé la connexion sans répondre : réessayez plus tard.", "connexion interrompue")
            )
        except (httpx.HTTPError, httpx.InvalidURL):
            raise DownloadError(
                f"L'échange avec {service.name} a échoué (adresse du service ou réponse invalide) : "
                "vérifiez l'adresse du service ou réessayez plus tard.",
                "échange impossible",
            ) from None
        if attempt < policy.tries:
            if wait is None:
                wait = min(policy.backoff * 2 ** (attempt - 1), policy.backoff_max)
            if progress:
                progress(0, None, f"{service.title} est indisponible pour l'instant : nouvel essai dans {math.ceil(wait)} s.")
            time.sleep(wait)
    assert last_error is not None
    raise last_error


def _read(response: httpx.Response, service: Service, progress: Progress | None, max_bytes: int) -> bytes:
    total_header = response.headers.get("Content-Length")
    total = int(total_header) if total_header and total_header.isdigit() else None
    chunks = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise DownloadError(
                f"La réponse {service.of} dépasse {max_bytes // 1_000_000} Mo, bien plus que prévu : choisissez un territoire plus petit.",
                "réponse trop volumineuse",
            )
        if progress:
            received = response.num_bytes_downloaded
            progress(received, total, f"Téléchargement {service.of} : {received / 1e6:.1f} Mo reçus.")
    return b"".join(chunks)


def _check_content_type(service: Service, content_type: str, expected: tuple[str, ...]) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media in expected:
        return
    if media in ("text/html", "application/xhtml+xml"):
        raise DownloadError(
            f"{service.title} a renvoyé une page web au lieu des données attendues (maintenance ou blocage probable) : "
            "réessayez plus tard ou utilisez l'instantané embarqué.",
            "page web reçue au lieu des données",
        )
    raise DownloadError(
        f"{service.title} a renvoyé un contenu inattendu ({media or 'type inconnu'}) au lieu de {expected[0]} : "
        "vérifiez l'adresse du service ou utilisez l'instantané embarqué.",
        "contenu inattendu",
    )


def _status_error(service: Service, status: int) -> DownloadError:
    if status in service.messages:
        message = service.messages[status]
    elif status == 404:
        message = f"{service.title} ne connaît pas cette adresse (404) : vérifiez l'adresse du service ou utilisez l'instantané embarqué."
    elif status == 429:
        message = f"{service.title} refuse encore après plusieurs essais car trop de requêtes ont été envoyées (429) : patientez une minute puis réessayez."
    elif status == 504:
        message = f"{service.title} n'a pas pu préparer les données à temps (504) : restreignez le territoire (un département plutôt qu'une région) ou réessayez plus tard."
    elif status >= 500:
        message = f"{service.title} est en panne pour l'instant (erreur {status}) : réessayez plus tard ou utilisez l'instantané embarqué."
    else:
        message = f"{service.title} a refusé la demande (erreur {status}) : réessayez plus tard ou utilisez l'instantané embarqué."
    return DownloadError(message, f"erreur {status}", status)


def _connect_error(service: Service, url: str) -> DownloadError:
    host = httpx.URL(url).host
    return DownloadError(
        f"Impossible de joindre {service.name} ({host}) : vérifiez la connexion à internet ou utilisez l'instantané embarqué.",
        "connexion impossible",
    )


def _retry_after(value: str | None, policy: RetryPolicy) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), capped; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), policy.retry_after_max)
