"""A local stand-in for the national export and the ANCT dataspace, serving real places and
misbehaving on demand (errors, slowness, cut or wrong bodies), for the online sources' tests.

    with FakeApi() as server:
        server.plan("429", "ok")          # next requests' behaviours, then "ok"
        api.fetch_places(t, base_url=server.url)
        server.requests                   # what was asked, when
        server.reset()                    # between tests sharing one server

Behaviours: ok, slow (sleeps `delay`), 429 (Retry-After: `retry_after`), 500/502/503/504, 403, 404,
reset (connection closed without an answer), truncated (Content-Length larger than the body sent),
html (HTML page with 200), wrong_type (JSON error with 200), bad_utf8 (Latin-1 body), changed_columns
(`nom` renamed, one column added), extra_columns (one column added), big (every row sent 10 times).
The dataspace also checks its token (401) and pages with limit/offset and Content-Range (416 past
the end; `count_header=False` mimics a response without the total).
"""
from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from diagnostics import reference

FIXTURE = Path(__file__).parent / "fixtures" / "api" / "lieux_export.csv"
TOKEN = "jeton-secret-de-test-7f3a"
LIST_COLUMNS = (
    "typologie", "courriels", "site_web", "itinerance", "services", "publics_specifiquement_adresses",
    "prise_en_charge_specifique", "frais_a_charge", "dispositif_programmes_nationaux", "formations_labels",
    "autres_formations_labels", "modalites_acces", "modalites_accompagnement",
)
_NUMBER = re.compile(r"^(\d+)\s*(bis|ter|quater|[A-Za-z](?=\s))?\s*(.*)$", re.IGNORECASE)


def read_fixture() -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of the committed export sample (real places, v1 export shape)."""
    with FIXTURE.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@dataclass
class Request:
    at: float  # time.monotonic() when the server read the request
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeApi:
    token: str = TOKEN
    delay: float = 0.5
    retry_after: str = "0"
    count_header: bool = True  # dataspace: announce the total in Content-Range
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        self.header, self.rows = read_fixture()
        self._plan: list[str] = []
        self._lock = threading.Lock()
        deps = reference.departements()
        self._region_deps = deps.groupby("reg")["code"].apply(list).to_dict()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeApi:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- control -----------------------------------------------------------------------------
    def plan(self, *behaviours: str) -> None:
        """Behaviours of the next requests, in order; afterwards every request is answered "ok"."""
        with self._lock:
            self._plan.extend(behaviours)

    def reset(self) -> None:
        """Forget requests and pending behaviours, restore the default knobs (one server for many tests)."""
        with self._lock:
            self._plan.clear()
            self.requests.clear()
        self.delay, self.retry_after, self.count_header = 0.5, "0", True

    def _next(self) -> str:
        with self._lock:
            return self._plan.pop(0) if self._plan else "ok"

    # -- data --------------------------------------------------------------------------------
    def select(self, territoire_type: str | None, territoires: list[str]) -> list[dict[str, str]]:
        """Rows the real site would return: by code_insee prefix for départements and regions."""
        if not territoire_type or not territoires:
            return list(self.rows)
        if territoire_type == "communes":
            return [r for r in self.rows if r["code_insee"] in territoires]
        prefixes = territoires
        if territoire_type == "regions":
            prefixes = [d for code in territoires for d in self._region_deps.get(code, [])]
        return [r for r in self.rows if r["code_insee"] and r["code_insee"].startswith(tuple(prefixes))]

    def dataspace_item(self, row: dict[str, str], index: int) -> dict:
        """A row in the dataspace's shape: nested address, JSON arrays, nulls stripped."""
        match = _NUMBER.match(row["adresse"])
        numero, repetition, voie = (match.group(1), match.group(2), match.group(3)) if match else (None, None, row["adresse"])
        adresse = {"commune": row["commune"], "code_postal": row["code_postal"], "code_insee": row["code_insee"] or None,
                   "numero_voie": numero, "repetition": repetition, "nom_voie": voie}
        item: dict = {"adresse": {k: v for k, v in adresse.items() if v}}
        for name in self.header:
            value = row[name]
            if name in ("adresse", "commune", "code_postal", "code_insee") or value == "":
                continue
            if name in ("latitude", "longitude"):
                if float(value) != 0:
                    item[name] = float(value)
            elif name in LIST_COLUMNS and not (name == "courriels" and index % 2):
                item[name] = value.split("|")  # courriels: an array on even rows, a string on odd ones
            else:
                item[name] = value
        if index == 0:
            item["mediateurs"] = [{"prenom": "Camille", "nom": "Exemple", "label": ["Conseiller numérique"]}]
        return item

    def carto_items(self, params: dict[str, str]) -> list[dict]:
        items = [self.dataspace_item(r, i) for i, r in enumerate(self.rows)]
        wanted = params.get("adresse->>code_insee", "")
        if wanted.startswith("like.") and wanted.endswith("*"):
            items = [i for i in items if i["adresse"].get("code_insee", "").startswith(wanted[5:-1])]
        elif wanted.startswith("in.("):
            codes = wanted[4:-1].split(",")
            items = [i for i in items if i["adresse"].get("code_insee") in codes]
        if params.get("order", "").startswith("id"):
            items.sort(key=lambda i: i["id"])
        return items


def _csv_body(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, quoting=csv.QUOTE_ALL, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


_HTML = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Site en maintenance</h1></body></html>"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApi

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        fake = self.fake
        fake.requests.append(Request(time.monotonic(), split.path, params, dict(self.headers.items())))
        behaviour = fake._next()
        if behaviour == "slow":
            time.sleep(fake.delay)
        elif behaviour == "reset":
            self.close_connection = True
            return
        elif behaviour == "429":
            return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": fake.retry_after})
        elif behaviour in ("500", "502", "503", "504", "403", "404"):
            return self._send(int(behaviour), _HTML, "text/html")
        elif behaviour == "html":
            return self._send(200, _HTML, "text/html; charset=utf-8")
        elif behaviour == "wrong_type":
            return self._send(200, b'{"error": "export indisponible"}', "application/json")
        if split.path == "/api/lieux/exporter":
            self._export(params, behaviour)
        elif split.path == "/carto":
            self._carto(params, behaviour)
        else:
            self._send(404, _HTML, "text/html")

    def _export(self, params: dict[str, str], behaviour: str) -> None:
        fake = self.fake
        codes = [c for c in params.get("territoires", "").split(",") if c]
        rows = fake.select(params.get("territoire_type"), codes)
        header = list(fake.header)
        if behaviour == "changed_columns":
            header = ["name" if h == "nom" else h for h in header] + ["horaires_detail"]
            rows = [{**r, "name": r["nom"], "horaires_detail": "x"} for r in rows]
        elif behaviour == "extra_columns":
            header = header + ["horaires_detail"]
            rows = [{**r, "horaires_detail": "x"} for r in rows]
        elif behaviour == "big":
            rows = rows * 10
        body = _csv_body(header, rows)
        if behaviour == "bad_utf8":
            body = body.decode("utf-8").encode("latin-1", errors="replace")
        if behaviour == "truncated":
            return self._send_truncated(body, "text/csv; charset=utf-8")
        self._send(200, body, "text/csv; charset=utf-8")

    def _carto(self, params: dict[str, str], behaviour: str) -> None:
        fake = self.fake
        if self.headers.get("Authorization") != f"Bearer {fake.token}":
            body = b'{"code":"PGRST301","message":"JWSError JWSInvalidSignature"}'
            return self._send(401, body, "application/json")
        items = fake.carto_items(params)
        total = len(items)
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", total or 1))
        shown_total = str(total) if fake.count_header else "*"
        if offset > 0 and offset >= total:
            return self._send(416, b'{"code":"PGRST103","message":"Requested range not satisfiable"}',
                              "application/json", {"Content-Range": f"*/{shown_total}"})
        page = items[offset : offset + limit]
        body = json.dumps(page, ensure_ascii=False).encode("utf-8")
        if behaviour == "truncated":
            return self._send_truncated(body, "application/vnd.pgrst.array+json")
        content_range = f"{offset}-{offset + len(page) - 1}/{shown_total}" if page else f"*/{shown_total}"
        status = 206 if fake.count_header and len(page) < total else 200
        self._send(status, body, "application/vnd.pgrst.array+json; nulls=stripped; charset=utf-8",
                   {"Content-Range": content_range})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_truncated(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) + 5000))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
