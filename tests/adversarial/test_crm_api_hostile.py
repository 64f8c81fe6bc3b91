"""The CRM client against a local API that misbehaves: every case ends, with one clear line.

Each test starts a real HTTP server in a thread whose handler plays one hostile part
(trickling bytes, paging in circles, rate limiting, answering garbage) and gives the
client tiny limits, so a client that did not enforce them would hang the test run
instead of passing it.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from cvw.config import load_settings
from cvw.extract.crm_client import CallLimits, CrmApiError, RetryPolicy, iter_pages

TOKEN = "token-of-the-hostile-test-api"
# Per-read timeout far above the request deadline: only the deadline can stop a trickle.
RETRY = RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=0.01, timeout_s=5.0)
LIMITS = CallLimits(request_deadline_s=0.3, max_pages=50, max_empty_pages=5, max_retry_after_s=3.0)
TRICKLE_INTERVAL_S = 0.02
# Long enough that a trickled response would outlast the test run many times over.
TRICKLE_BYTES = 2_000

Respond = Callable[["_Handler", dict[str, str]], None]


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.queries: list[dict[str, str]] = []
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        query = dict(parse_qsl(urlsplit(self.path).query))
        self.server.queries.append(query)
        self.server.respond(self, query)

    def send_body(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_page(self, data: list[dict[str, Any]], next_cursor: str | None) -> None:
        self.send_body(200, json.dumps({"data": data, "next_cursor": next_cursor}).encode())

    def trickle(self, payload: bytes) -> None:
        """Write ``payload`` a byte at a time until it ends, the client leaves or the test ends."""
        for byte in payload:
            if self.server.stopping.wait(TRICKLE_INTERVAL_S):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], HostileServer]]:
    servers: list[HostileServer] = []

    def start(respond: Respond) -> HostileServer:
        server = HostileServer(respond)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def _extract(
    base_url: str, limits: CallLimits | None = LIMITS, token: str = TOKEN
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    for page in iter_pages(
        base_url,
        "contacts",
        token=token,
        updated_since=None,
        updated_before=None,
        page_size=2,
        retry=RETRY,
        limits=limits,
    ):
        pages.append(page)
    return pages


def _failure(base_url: str, limits: CallLimits | None = LIMITS, token: str = TOKEN) -> str:
    with pytest.raises(CrmApiError) as raised:
        _extract(base_url, limits, token)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("CRM API contacts: ")
    return message


def test_trickled_body_fails_at_the_request_deadline(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        body = json.dumps({"data": [{"id": "x" * TRICKLE_BYTES}], "next_cursor": None})
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.trickle(body.encode())

    server = serve(respond)
    message = _failure(server.base_url)

    assert message.startswith(
        f"CRM API contacts: giving up after 2 attempts on {server.base_url}/contacts:"
    )
    assert "within the 0.3 s request deadline" in message
    assert len(server.queries) == 2


def test_trickled_status_line_fails_at_the_request_deadline(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        headers = f"HTTP/1.1 200 OK\r\nX-Padding: {'x' * TRICKLE_BYTES}\r\n\r\n"
        handler.close_connection = True
        handler.trickle(headers.encode())

    server = serve(respond)
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: giving up after 2 attempts on {server.base_url}/contacts:"
        " _DeadlineExceeded: no response within the 0.3 s request deadline"
    )
    assert len(server.queries) == 2


def test_cursor_cycle_fails_naming_the_cursor(serve) -> None:
    # No cursor -> A, A -> B, B -> A: the third page points back to the second.
    next_of = {None: "A", "A": "B", "B": "A"}

    def respond(handler: _Handler, query: dict[str, str]) -> None:
        cursor = query.get("cursor")
        handler.send_page([{"contact_id": f"after-{cursor}"}], next_of[cursor])

    server = serve(respond)
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: {server.base_url}/contacts returned cursor A again after 3 pages:"
        " the pages run in a cycle"
    )
    assert [q.get("cursor") for q in server.queries] == [None, "A", "B"]


def test_endless_empty_pages_fail_after_the_allowed_run(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        handler.send_page([], f"fresh-{len(handler.server.queries)}")

    server = serve(respond)
    message = _failure(server.base_url)

    # max_empty_pages=5: the sixth empty page in a row is one too many.
    assert message == (
        f"CRM API contacts: {server.base_url}/contacts returned 6 empty pages in a row that"
        " still point to a next page (more than 5 allowed, CVW_CRM_MAX_EMPTY_PAGES)"
    )
    assert len(server.queries) == 6


def test_empty_pages_between_full_ones_start_the_count_again(serve) -> None:
    # Four empty pages, one record, four empty, one record, then the end: never more
    # than five empty pages in a row, so the extract completes.
    script = ([[]] * 4 + [[{"contact_id": "c"}]]) * 2

    def respond(handler: _Handler, query: dict[str, str]) -> None:
        number = len(handler.server.queries)
        handler.send_page(script[number - 1], None if number == len(script) else f"p{number}")

    server = serve(respond)
    pages = _extract(server.base_url)

    assert [len(page) for page in pages] == [0, 0, 0, 0, 1] * 2


def test_pages_without_end_stop_at_the_page_cap(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        number = len(handler.server.queries)
        handler.send_page([{"contact_id": f"c{number}"}], f"p{number}")

    server = serve(respond)
    limits = CallLimits(
        request_deadline_s=0.3, max_pages=4, max_empty_pages=5, max_retry_after_s=3.0
    )
    message = _failure(server.base_url, limits)

    assert message == (
        f"CRM API contacts: {server.base_url}/contacts still had a next page after 4 pages"
        " (the most allowed, CVW_CRM_MAX_PAGES)"
    )
    assert len(server.queries) == 4


def test_page_cap_comes_from_the_configuration(serve, monkeypatch) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        number = len(handler.server.queries)
        handler.send_page([{"contact_id": f"c{number}"}], f"p{number}")

    monkeypatch.setenv("CVW_CRM_MAX_PAGES", "3")
    monkeypatch.setenv("CVW_CRM_REQUEST_DEADLINE_S", "2")
    server = serve(respond)
    message = _failure(server.base_url, limits=None)

    assert "still had a next page after 3 pages" in message
    assert len(server.queries) == 3


@pytest.mark.parametrize("name", ["CVW_CRM_MAX_PAGES", "CVW_CRM_REQUEST_DEADLINE_S"])
@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_limits_must_be_positive_numbers(monkeypatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"^{name} must be a positive"):
        load_settings()


def _rate_limited_once(status: int, retry_after: str) -> Respond:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        if len(handler.server.queries) == 1:
            body = json.dumps({"error": "slow down"}).encode()
            handler.send_body(status, body, {"Retry-After": retry_after})
        else:
            handler.send_page([{"contact_id": "c1"}], None)

    return respond


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_within_the_cap_is_waited_out(
    serve, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    server = serve(_rate_limited_once(status, "1"))
    with caplog.at_level(logging.WARNING, logger="cvw.extract.crm"):
        pages = _extract(server.base_url)

    assert pages == [[{"contact_id": "c1"}]]
    assert len(server.queries) == 2
    # The backoff alone would wait at most 0.01 s; the API asked for one second.
    assert any("retrying in 1.00s" in r.getMessage() for r in caplog.records)


def test_retry_after_http_date_within_the_cap_is_waited_out(
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    # An HTTP date has whole seconds: three seconds ahead, cut to the second, is a wait
    # of two to three seconds when sent; more than one is left however slow the test is,
    # against at most 0.01 s of backoff.
    server = serve(_rate_limited_once(429, formatdate(time.time() + 3, usegmt=True)))
    with caplog.at_level(logging.WARNING, logger="cvw.extract.crm"):
        pages = _extract(server.base_url)

    assert pages == [[{"contact_id": "c1"}]]
    waits = [r.args[-1] for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(waits) == 1 and 1.0 < waits[0] <= 3.0


@pytest.mark.parametrize(
    ("retry_after", "asked_s"),
    [
        ("3600", {3600}),
        ("7", {7}),
        # An hour ahead as an HTTP date: whole seconds, so 3599 or 3600 s when it is read.
        ("http-date-in-an-hour", {3599, 3600}),
    ],
)
def test_retry_after_over_the_cap_fails_at_once(serve, retry_after: str, asked_s: set[int]) -> None:
    if retry_after == "http-date-in-an-hour":
        retry_after = formatdate(time.time() + 3600, usegmt=True)
    server = serve(_rate_limited_once(429, retry_after))
    message = _failure(server.base_url)

    asked = re.fullmatch(
        f"CRM API contacts: HTTP 429 from {re.escape(server.base_url)}/contacts asks to retry"
        r" after (\d+) s, more than the 3 s allowed \(CVW_CRM_MAX_RETRY_AFTER_S\): slow down",
        message,
    )
    assert asked is not None, message
    assert int(asked.group(1)) in asked_s
    assert len(server.queries) == 1


def test_malformed_json_fails_at_once(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        handler.send_body(200, b'{"data": [{"contact_id": "c1"')

    server = serve(respond)
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: response from {server.base_url}/contacts is not JSON:"
        ' {"data": [{"contact_id": "c1"'
    )
    assert len(server.queries) == 1


def test_json_without_data_and_cursor_fails_at_once(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        handler.send_body(200, b'{"items": []}')

    server = serve(respond)
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: response from {server.base_url}/contacts lacks data/next_cursor"
    )


def test_http_500_forever_fails_after_the_last_attempt(serve) -> None:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        handler.send_body(500, json.dumps({"error": "database on fire"}).encode())

    server = serve(respond)
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: giving up after 2 attempts on {server.base_url}/contacts:"
        " _RetryableStatus: HTTP 500: database on fire"
    )
    assert len(server.queries) == 2


def test_connection_refused_fails_after_the_last_attempt() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/api/v1"
    message = _failure(base_url)

    assert message.startswith(
        f"CRM API contacts: giving up after 2 attempts on {base_url}/contacts: ConnectError:"
    )


def _refusing(status: int, authorizations: list[str | None]) -> Respond:
    def respond(handler: _Handler, query: dict[str, str]) -> None:
        authorizations.append(handler.headers.get("Authorization"))
        body = json.dumps({"error": "missing or invalid bearer token"}).encode()
        handler.send_body(status, body, {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    return respond


@pytest.mark.parametrize("status", [401, 403])
def test_refused_token_fails_at_once_without_retry(serve, status: int) -> None:
    authorizations: list[str | None] = []
    server = serve(_refusing(status, authorizations))
    message = _failure(server.base_url)

    assert message == (
        f"CRM API contacts: HTTP {status} from {server.base_url}/contacts: the API token was"
        " refused (check the password of Airflow connection crm_api)"
    )
    # RETRY allows two attempts: one request means the refusal was not retried.
    assert authorizations == [f"Bearer {TOKEN}"]


def test_missing_token_sends_no_header_and_says_so(serve) -> None:
    authorizations: list[str | None] = []
    server = serve(_refusing(401, authorizations))
    message = _failure(server.base_url, token="")

    assert message == (
        f"CRM API contacts: HTTP 401 from {server.base_url}/contacts: no API token was sent"
        " (the password of Airflow connection crm_api is empty)"
    )
    assert authorizations == [None]
