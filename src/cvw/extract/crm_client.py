"""Paged reads from the CRM REST API, with retries for a source that is sometimes down.

Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff and
jitter; any other 4xx means the request itself is wrong, so it fails at once. A request
that still fails after the last attempt raises :class:`CrmApiError` with one line that
names the entity, the URL and the last error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

logger = logging.getLogger("cvw.extract.crm")

_BODY_EXCERPT_CHARS = 200


class CrmApiError(RuntimeError):
    """The CRM API refused a request or stayed unavailable through every retry."""


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}: {_excerpt(response)}")


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


def _excerpt(response: httpx.Response) -> str:
    """The API's error message, or the start of the body, on one line."""
    try:
        body = response.json()
        text = body["error"] if isinstance(body, dict) and "error" in body else response.text
    except ValueError:
        text = response.text
    return " ".join(str(text).split())[:_BODY_EXCERPT_CHARS] or "(empty body)"


def _iso_utc(name: str, value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(UTC).isoformat()


def _get_page(
    client: httpx.Client, url: str, entity: str, params: dict[str, Any], timeout_s: float
) -> dict[str, Any]:
    response = client.get(url, params=params, timeout=timeout_s)
    status = response.status_code
    if status == 429 or status >= 500:
        raise _RetryableStatus(response)
    if status >= 400:
        raise CrmApiError(
            f"CRM API {entity}: HTTP {status} from {response.request.url}: {_excerpt(response)}"
        )
    try:
        page = response.json()
    except ValueError as error:
        raise CrmApiError(f"CRM API {entity}: response from {url} is not JSON") from error
    if not (
        isinstance(page, dict)
        and isinstance(page.get("data"), list)
        and isinstance(page.get("next_cursor"), str | None)
    ):
        raise CrmApiError(f"CRM API {entity}: response from {url} lacks data/next_cursor")
    return page


def _retrying(entity: str, retry: RetryPolicy) -> Retrying:
    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "CRM API %s: attempt %d/%d failed (%s); retrying in %.2fs",
            entity,
            state.attempt_number,
            retry.attempts,
            error,
            wait,
        )

    return Retrying(
        stop=stop_after_attempt(retry.attempts),
        wait=wait_exponential_jitter(
            multiplier=retry.initial_wait_s, max=retry.max_wait_s, jitter=retry.initial_wait_s
        ),
        retry=retry_if_exception_type((httpx.TransportError, _RetryableStatus)),
        before_sleep=log_retry,
        reraise=True,
    )


def _pages(
    client: httpx.Client,
    base_url: str,
    entity: str,
    params: dict[str, Any],
    retry: RetryPolicy,
) -> Iterator[list[dict[str, Any]]]:
    url = f"{base_url.rstrip('/')}/{entity}"
    retrying = _retrying(entity, retry)
    cursor: str | None = None
    while True:
        page_params = {**params, "cursor": cursor} if cursor else params
        try:
            page = retrying(_get_page, client, url, entity, page_params, retry.timeout_s)
        except (httpx.TransportError, _RetryableStatus) as error:
            detail = " ".join(f"{type(error).__name__}: {error}".split())
            raise CrmApiError(
                f"CRM API {entity}: giving up after {retry.attempts} attempts on {url}"
                f"{' at cursor ' + cursor if cursor else ''}: {detail}"
            ) from error
        yield page["data"]
        next_cursor = page["next_cursor"]
        if next_cursor is None:
            return
        if next_cursor == cursor:
            raise CrmApiError(f"CRM API {entity}: {url} returned the same cursor twice")
        cursor = next_cursor


def iter_pages(
    base_url: str,
    entity: str,
    *,
    updated_since: datetime | None,
    updated_before: datetime | None,
    page_size: int = 500,
    retry: RetryPolicy = DEFAULT_RETRY,
    client: httpx.Client | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of ``entity`` records changed in ``[updated_since, updated_before)``.

    Pages come in ``(updated_at, primary key)`` order and follow the API's cursor until the
    last page. Without ``client`` a private one is opened and closed when iteration ends.
    """
    params: dict[str, Any] = {"page_size": page_size}
    for name, value in (("updated_since", updated_since), ("updated_before", updated_before)):
        stamp = _iso_utc(name, value)
        if stamp is not None:
            params[name] = stamp
    if client is not None:
        yield from _pages(client, base_url, entity, params, retry)
        return
    with httpx.Client() as own_client:
        yield from _pages(own_client, base_url, entity, params, retry)


def iter_records(
    base_url: str,
    entity: str,
    *,
    updated_since: datetime | None,
    updated_before: datetime | None,
    page_size: int = 500,
    retry: RetryPolicy = DEFAULT_RETRY,
    client: httpx.Client | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of :func:`iter_pages`, one at a time."""
    for page in iter_pages(
        base_url,
        entity,
        updated_since=updated_since,
        updated_before=updated_before,
        page_size=page_size,
        retry=retry,
        client=client,
    ):
        yield from page
