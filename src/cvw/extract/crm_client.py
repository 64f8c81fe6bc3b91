"""Paged reads from the CRM REST API, with retries for a source that is sometimes down.

Every request carries the API's bearer token. Connection errors, timeouts, HTTP 429 and
5xx are retried with exponential backoff and jitter; any other 4xx means the request
itself is wrong, so it fails at once, and a 401 or 403 says so in terms of the token. A 429 or
503 with ``Retry-After`` waits as long as the API asks, up to a cap; a longer wait fails
at once. A request that still fails after the last attempt raises :class:`CrmApiError`
with one line that names the entity, the URL and the last error.

Nothing here can run forever (:class:`CallLimits`, set in ``cvw.config``): each request
has a total deadline, not only a timeout per read, so a response that trickles in a
byte at a time fails too; a table's extract stops after a maximum number of pages, on a
cursor it has seen before, and on a long run of empty pages that still point onwards.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from cvw.config import Settings, load_settings

logger = logging.getLogger("cvw.extract.crm")

_BODY_EXCERPT_CHARS = 200


class CrmApiError(RuntimeError):
    """The CRM API refused a request or stayed unavailable through every retry."""


class _RetryableStatus(Exception):
    def __init__(self, status: int, body: bytes, retry_after_s: float | None) -> None:
        super().__init__(f"HTTP {status}: {_excerpt(body)}")
        self.retry_after_s = retry_after_s


class _DeadlineExceeded(Exception):
    """The whole request, body included, took longer than its deadline; retried like a timeout."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait_s: float = 0.5
    max_wait_s: float = 10.0
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.initial_wait_s, self.max_wait_s, self.timeout_s) < 0:
            raise ValueError("RetryPolicy waits and timeout must not be negative")


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class CallLimits:
    """How long and how far one table's extract may go before it fails.

    ``request_deadline_s`` bounds one HTTP request from connect to the last body byte;
    ``max_pages`` bounds the pages of one table's extract; ``max_empty_pages`` bounds a
    run of empty pages that still carry a next cursor; ``max_retry_after_s`` is the
    longest ``Retry-After`` the client waits out.
    """

    request_deadline_s: float
    max_pages: int
    max_empty_pages: int
    max_retry_after_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> CallLimits:
        return cls(
            request_deadline_s=settings.crm_request_deadline_s,
            max_pages=settings.crm_max_pages,
            max_empty_pages=settings.crm_max_empty_pages,
            max_retry_after_s=settings.crm_max_retry_after_s,
        )


def _excerpt(body: bytes) -> str:
    """The API's error message, or the start of the body, on one line."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed = json.loads(text)
        if isinstance(parsed, dict) and "error" in parsed:
            text = str(parsed["error"])
    except ValueError:
        pass
    return " ".join(text.split())[:_BODY_EXCERPT_CHARS] or "(empty body)"


def _retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay or HTTP date); None if absent."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _iso_utc(name: str, value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).isoformat()


def _auth_headers(token: str) -> dict[str, str]:
    # Without a token no header goes out, so the API's 401 names the real cause.
    return {"Authorization": f"Bearer {token}"} if token else {}


def _read_response(
    client: httpx.Client,
    url: str,
    params: dict[str, Any],
    headers: dict[str, str],
    timeout_s: float,
    deadline_s: float,
) -> tuple[httpx.Response, bytes]:
    """Status, headers and whole body of one GET, given up once ``deadline_s`` has passed.

    The body is read in chunks with the clock checked after each, so a server that keeps
    every single read under the read timeout still cannot stretch the request past the
    deadline.
    """
    started = time.monotonic()
    # No single wait may outlast the whole request's budget either.
    timeout = min(timeout_s, deadline_s)
    with client.stream("GET", url, params=params, headers=headers, timeout=timeout) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if time.monotonic() - started > deadline_s:
                raise _DeadlineExceeded(
                    f"response not complete within the {deadline_s:g} s request deadline"
                    f" ({len(body)} bytes received)"
                )
    return response, bytes(body)


def _within_deadline(
    call: Callable[[], tuple[httpx.Response, bytes]], deadline_s: float
) -> tuple[httpx.Response, bytes]:
    """``call()``, or :class:`_DeadlineExceeded` when it has not returned by the deadline.

    httpx has no total timeout, and a server can trickle its status line and headers
    too, where no chunk loop can look at the clock. The request therefore runs in a
    daemon thread the caller stops waiting for; the abandoned request ends at its own
    deadline check or when the extract closes its client.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="crm-api-request", daemon=True)
    worker.start()
    # A little grace so the request's own deadline check, with its byte count, wins.
    worker.join(deadline_s + 0.5)
    if worker.is_alive():
        raise _DeadlineExceeded(f"no response within the {deadline_s:g} s request deadline")
    if "error" in outcome:
        raise outcome["error"]
    response: tuple[httpx.Response, bytes] = outcome["value"]
    return response


def _get_page(
    client: httpx.Client,
    url: str,
    entity: str,
    params: dict[str, Any],
    headers: dict[str, str],
    timeout_s: float,
    limits: CallLimits,
) -> dict[str, Any]:
    response, body = _within_deadline(
        lambda: _read_response(client, url, params, headers, timeout_s, limits.request_deadline_s),
        limits.request_deadline_s,
    )
    status = response.status_code
    if status in (401, 403):
        # A refused token does not heal on retry; the operator must fix the connection.
        cause = (
            "the API token was refused (check the password of Airflow connection crm_api)"
            if headers
            else "no API token was sent (the password of Airflow connection crm_api is empty)"
        )
        raise CrmApiError(f"CRM API {entity}: HTTP {status} from {url}: {cause}")
    if status == 429 or status >= 500:
        retry_after = (
            _retry_after_s(response.headers.get("Retry-After")) if status in (429, 503) else None
        )
        if retry_after is not None and retry_after > limits.max_retry_after_s:
            raise CrmApiError(
                f"CRM API {entity}: HTTP {status} from {url} asks to retry after"
                f" {retry_after:.0f} s, more than the {limits.max_retry_after_s:g} s allowed"
                f" (CVW_CRM_MAX_RETRY_AFTER_S): {_excerpt(body)}"
            )
        raise _RetryableStatus(status, body, retry_after)
    if status >= 400:
        raise CrmApiError(
            f"CRM API {entity}: HTTP {status} from {response.request.url}: {_excerpt(body)}"
        )
    try:
        page = json.loads(body)
    except ValueError as error:
        raise CrmApiError(
            f"CRM API {entity}: response from {url} is not JSON: {_excerpt(body)}"
        ) from error
    if not (
        isinstance(page, dict)
        and isinstance(page.get("data"), list)
        and isinstance(page.get("next_cursor"), str | None)
    ):
        raise CrmApiError(f"CRM API {entity}: response from {url} lacks data/next_cursor")
    return page


_RETRYABLE = (httpx.TransportError, _RetryableStatus, _DeadlineExceeded)


def _retrying(entity: str, retry: RetryPolicy) -> Retrying:
    backoff = wait_exponential_jitter(
        multiplier=retry.initial_wait_s, max=retry.max_wait_s, jitter=retry.initial_wait_s
    )

    def wait(state: RetryCallState) -> float:
        # The API knows when it will take requests again; a wait above the cap never
        # gets here (``_get_page`` fails at once).
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableStatus) and error.retry_after_s is not None:
            return error.retry_after_s
        return backoff(state)

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        sleep_s = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "CRM API %s: attempt %d/%d failed (%s); retrying in %.2fs",
            entity,
            state.attempt_number,
            retry.attempts,
            error,
            sleep_s,
        )

    return Retrying(
        stop=stop_after_attempt(retry.attempts),
        wait=wait,
        retry=retry_if_exception_type(_RETRYABLE),
        before_sleep=log_retry,
        reraise=True,
    )


def _pages(
    client: httpx.Client,
    base_url: str,
    token: str,
    entity: str,
    params: dict[str, Any],
    retry: RetryPolicy,
    limits: CallLimits,
) -> Iterator[list[dict[str, Any]]]:
    url = f"{base_url.rstrip('/')}/{entity}"
    headers = _auth_headers(token)
    retrying = _retrying(entity, retry)
    cursor: str | None = None
    requested_cursors: set[str] = set()
    empty_run = 0
    for page_number in range(1, limits.max_pages + 1):
        page_params = params
        if cursor is not None:
            requested_cursors.add(cursor)
            page_params = {**params, "cursor": cursor}
        try:
            page = retrying(
                _get_page, client, url, entity, page_params, headers, retry.timeout_s, limits
            )
        except _RETRYABLE as error:
            detail = " ".join(f"{type(error).__name__}: {error}".split())
            raise CrmApiError(
                f"CRM API {entity}: giving up after {retry.attempts} attempts on {url}"
                f"{' at cursor ' + cursor if cursor else ''}: {detail}"
            ) from error
        yield page["data"]
        next_cursor = page["next_cursor"]
        if next_cursor is None:
            return
        if next_cursor in requested_cursors:
            raise CrmApiError(
                f"CRM API {entity}: {url} returned cursor {next_cursor} again after"
                f" {page_number} pages: the pages run in a cycle"
            )
        empty_run = empty_run + 1 if not page["data"] else 0
        if empty_run > limits.max_empty_pages:
            raise CrmApiError(
                f"CRM API {entity}: {url} returned {empty_run} empty pages in a row that"
                f" still point to a next page (more than {limits.max_empty_pages} allowed,"
                " CVW_CRM_MAX_EMPTY_PAGES)"
            )
        cursor = next_cursor
    raise CrmApiError(
        f"CRM API {entity}: {url} still had a next page after {limits.max_pages} pages"
        " (the most allowed, CVW_CRM_MAX_PAGES)"
    )


def iter_pages(
    base_url: str,
    entity: str,
    *,
    token: str,
    updated_since: datetime | None,
    updated_before: datetime | None,
    page_size: int = 500,
    retry: RetryPolicy = DEFAULT_RETRY,
    client: httpx.Client | None = None,
    limits: CallLimits | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of ``entity`` records changed in ``[updated_since, updated_before)``.

    Pages come in ``(updated_at, primary key)`` order and follow the API's cursor until the
    last page. ``token`` is the API's bearer token. Without ``client`` a private one is
    opened and closed when iteration ends. Without ``limits`` they come from the
    configuration (``cvw.config``).
    """
    bounds = limits or CallLimits.from_settings(load_settings())
    params: dict[str, Any] = {"page_size": page_size}
    for name, value in (("updated_since", updated_since), ("updated_before", updated_before)):
        stamp = _iso_utc(name, value)
        if stamp is not None:
            params[name] = stamp
    if client is not None:
        yield from _pages(client, base_url, token, entity, params, retry, bounds)
        return
    with httpx.Client() as own_client:
        yield from _pages(own_client, base_url, token, entity, params, retry, bounds)


def iter_records(
    base_url: str,
    entity: str,
    *,
    token: str,
    updated_since: datetime | None,
    updated_before: datetime | None,
    page_size: int = 500,
    retry: RetryPolicy = DEFAULT_RETRY,
    client: httpx.Client | None = None,
    limits: CallLimits | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of :func:`iter_pages`, one at a time."""
    for page in iter_pages(
        base_url,
        entity,
        token=token,
        updated_since=updated_since,
        updated_before=updated_before,
        page_size=page_size,
        retry=retry,
        client=client,
        limits=limits,
    ):
        yield from page
