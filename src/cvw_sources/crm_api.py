"""The simulated CRM REST API: paged, incremental reads over the generated CRM SQLite file.

``GET /api/v1/<entity>`` serves one CRM table (``cvw_sources.schema``) ordered by
``(updated_at, primary key)`` with keyset pagination, so a page boundary inside a
run of equal ``updated_at`` values never skips or repeats a row. ``updated_since`` is
an inclusive and ``updated_before`` an exclusive bound on ``updated_at``. The database
is opened read-only for each request, so the server holds no data and sees the file as
the generator left it.

Every request must carry ``Authorization: Bearer <token>``; one without it, or with
another token, gets 401 and a body that says nothing about the data. The token is
compared in constant time, so response timing does not reveal how much of a guess
was right.

``fail_every=N`` makes every N-th entity request answer 503, which lets tests and demos
show that extraction survives a flaky source.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
import sqlite3
import threading
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cvw_sources.schema import CRM, Table

API_PREFIX = "/api/v1"
DEFAULT_PAGE_SIZE = 500
ENTITIES: dict[str, Table] = {source.name: source for source in CRM}
_INTEGER_TYPES = {"integer", "bigint"}
_QUERY_PARAMS = {"updated_since", "updated_before", "page_size", "cursor"}
# An unencoded "+00:00" in a query string arrives as " 00:00"; put the sign back.
_LOST_PLUS = re.compile(r" (\d{2}(:?\d{2})?)$")
_REALM = 'Bearer realm="crm-api"'

logger = logging.getLogger("cvw_sources.crm_api")


class BadParameter(ValueError):
    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"invalid parameter {name}: {problem}")


@dataclass(frozen=True)
class PageQuery:
    updated_since: str | None
    updated_before: str | None
    page_size: int
    after: tuple[str, ...] | None


def encode_cursor(key: tuple[str, ...]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> tuple[str, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise BadParameter("cursor", "not a cursor returned by this API") from error
    if not (isinstance(key, list) and len(key) == width and all(isinstance(k, str) for k in key)):
        raise BadParameter("cursor", "not a cursor returned by this API")
    return tuple(key)


def _timestamp(name: str, value: str) -> str:
    """The bound in the stored form (UTC, ``+00:00``) so text comparison orders correctly."""
    try:
        parsed = datetime.fromisoformat(_LOST_PLUS.sub(r"+\1", value.strip()))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).isoformat()
    except (ValueError, OverflowError) as error:
        raise BadParameter(name, f"not an ISO-8601 timestamp: {value!r}") from error


def parse_query(query: str, key_width: int, page_size_max: int) -> PageQuery:
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if name not in _QUERY_PARAMS:
            raise BadParameter(name, f"unknown; expected one of {sorted(_QUERY_PARAMS)}")
        if len(values) > 1:
            raise BadParameter(name, "given more than once")
    single = {name: values[0] for name, values in params.items()}
    page_size_text = single.get("page_size", str(min(DEFAULT_PAGE_SIZE, page_size_max)))
    page_size = int(page_size_text) if re.fullmatch(r"[0-9]{1,9}", page_size_text) else 0
    if not 1 <= page_size <= page_size_max:
        raise BadParameter("page_size", f"must be an integer from 1 to {page_size_max}")
    since, before, cursor = (single.get(n) for n in ("updated_since", "updated_before", "cursor"))
    return PageQuery(
        updated_since=_timestamp("updated_since", since) if since else None,
        updated_before=_timestamp("updated_before", before) if before else None,
        page_size=page_size,
        after=decode_cursor(cursor, key_width) if cursor else None,
    )


def _order_key(source: Table) -> tuple[str, ...]:
    return (source.change_column, *source.primary_key)


def fetch_page(
    db_path: Path, source: Table, query: PageQuery
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of rows and the cursor of the next page (None on the last page)."""
    key = _order_key(source)
    conditions: list[str] = []
    args: list[str] = []
    if query.updated_since is not None:
        conditions.append(f"{source.change_column} >= ?")
        args.append(query.updated_since)
    if query.updated_before is not None:
        conditions.append(f"{source.change_column} < ?")
        args.append(query.updated_before)
    if query.after is not None:
        conditions.append(f"({', '.join(key)}) > ({', '.join('?' * len(key))})")
        args.extend(query.after)
    where = f"where {' and '.join(conditions)}" if conditions else ""
    # One row beyond the page tells whether another page exists without an extra request.
    sql = (
        f"select {', '.join(source.column_names)} from {source.name} {where} "
        f"order by {', '.join(key)} limit {query.page_size + 1}"
    )
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(sql, args).fetchall()
    page = rows[: query.page_size]
    more = len(rows) > query.page_size
    next_cursor = encode_cursor(tuple(str(page[-1][c]) for c in key)) if more else None
    return [_record(source, row) for row in page], next_cursor


def _record(source: Table, row: sqlite3.Row) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in source.columns:
        value = row[column.name]
        if value is not None and column.type in _INTEGER_TYPES:
            value = int(value)
        record[column.name] = value
    return record


class CrmApiServer(ThreadingHTTPServer):
    """The HTTP server, with per-resource request counts that tests can inspect."""

    def __init__(
        self,
        address: tuple[str, int],
        db_path: Path,
        *,
        token: str,
        fail_every: int,
        page_size_max: int,
    ) -> None:
        if not token:
            raise ValueError("the CRM API needs a non-empty token")
        if fail_every < 0:
            raise ValueError("fail_every must be 0 (never fail) or a positive number")
        if page_size_max < 1:
            raise ValueError("page_size_max must be at least 1")
        self.db_path = db_path
        self._token = token.encode()
        self.fail_every = fail_every
        self.page_size_max = page_size_max
        self.hits: Counter[str] = Counter()
        self._entity_requests = 0
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def token_matches(self, presented: str) -> bool:
        # Header values arrive decoded as Latin-1; encoding them back gives the bytes sent.
        return hmac.compare_digest(presented.encode("latin-1", "replace"), self._token)

    def record_hit(self, resource: str) -> bool:
        """Count a request; return True when fault injection says this one must fail."""
        with self._lock:
            self.hits[resource] += 1
            if resource not in ENTITIES:
                return False
            self._entity_requests += 1
            return self.fail_every > 0 and self._entity_requests % self.fail_every == 0


class _Handler(BaseHTTPRequestHandler):
    server: CrmApiServer
    protocol_version = "HTTP/1.1"  # keep-alive, so paging clients reuse one connection
    # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs
    # every page would then wait ~40 ms on a kept-alive connection.
    disable_nagle_algorithm = True

    def _authorized(self) -> bool:
        """Whether the request carries the server's token; if not, answer 401 and say no more."""
        scheme, _, presented = (self.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "bearer" and self.server.token_matches(presented.strip()):
            return True
        # RFC 6750: a request without credentials gets the bare challenge, a wrong one
        # is told its token is invalid.
        challenge = _REALM if not scheme else f'{_REALM}, error="invalid_token"'
        self._send(
            HTTPStatus.UNAUTHORIZED,
            {"error": "missing or invalid bearer token"},
            {"WWW-Authenticate": challenge},
        )
        return False

    def do_GET(self) -> None:
        if not self._authorized():
            return
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        if not path.startswith(API_PREFIX + "/"):
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no resource at {url.path}"})
            return
        resource = path.removeprefix(API_PREFIX + "/")
        fail = self.server.record_hit(resource)
        if resource == "health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif resource not in ENTITIES:
            known = ", ".join(sorted(ENTITIES))
            self._send(HTTPStatus.NOT_FOUND, {"error": f"unknown entity {resource!r} ({known})"})
        elif fail:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "injected failure, retry"})
        else:
            try:
                self._serve_entity(ENTITIES[resource], url.query)
            except Exception:
                # Answer rather than drop the connection, so clients see a retryable 500.
                logger.exception("request %s failed", self.path)
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal server error"})

    def _serve_entity(self, source: Table, query_string: str) -> None:
        try:
            query = parse_query(query_string, len(_order_key(source)), self.server.page_size_max)
        except BadParameter as error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        db_path = self.server.db_path
        if not db_path.is_file():
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"no CRM database at {db_path}"})
            return
        try:
            records, next_cursor = fetch_page(db_path, source, query)
        except sqlite3.Error as error:
            logger.warning("reading %s from %s failed: %s", source.name, db_path, error)
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"CRM database error: {error}"})
            return
        self._send(HTTPStatus.OK, {"data": records, "next_cursor": next_cursor})

    def _send_method_not_allowed(self) -> None:
        if not self._authorized():
            return
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "the CRM API is read-only: use GET"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _send_method_not_allowed

    def _send(
        self, status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)


def make_server(
    db_path: Path,
    host: str,
    port: int,
    *,
    token: str,
    fail_every: int = 0,
    page_size_max: int = 1000,
) -> ThreadingHTTPServer:
    """A bound, not yet serving, CRM API server; port 0 picks a free port."""
    return CrmApiServer(
        (host, port), db_path, token=token, fail_every=fail_every, page_size_max=page_size_max
    )


def serve(
    db_path: Path,
    host: str,
    port: int,
    *,
    token: str,
    fail_every: int = 0,
    page_size_max: int = 1000,
) -> None:
    """Serve the CRM API until interrupted."""
    with make_server(
        db_path, host, port, token=token, fail_every=fail_every, page_size_max=page_size_max
    ) as server:
        logger.info(
            "CRM API on http://%s:%d%s over %s (fail_every=%d)",
            host,
            server.server_address[1],
            API_PREFIX,
            db_path,
            fail_every,
        )
        server.serve_forever()
