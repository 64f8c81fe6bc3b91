"""Extract from the CRM REST API: paged, incremental on ``updated_at``, retried on failure.

Records arrive as JSON; each is typed against the catalog before COPY and a
record that does not fit is quarantined with its reason. So is a record whose
``updated_at`` lies outside the window it was requested for: loaded, it could
become the latest version of its key in staging while it is not part of this
extraction (the API ignored the bounds, or the clock of the CRM is off).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import httpx
import psycopg

from cvw.catalog import SourceTable
from cvw.extract.crm_client import RetryPolicy, iter_pages
from cvw.landing import Batch, land_system, replace_batch, window_for
from cvw.records import RecordError, row_converter
from cvw.watermarks import Window


def check_in_window(source: SourceTable, row: tuple[Any, ...], window: Window) -> None:
    """Raise ``RecordError`` if the row's change column lies outside ``[start, end)``."""
    changed_at = row[source.column_names.index(source.change_column)]
    if changed_at >= window.end or (window.start is not None and changed_at < window.start):
        start = window.start.isoformat() if window.start is not None else "the beginning"
        raise RecordError(
            f"{source.change_column}: {changed_at.isoformat()} is outside the extraction window "
            f"[{start}, {window.end.isoformat()})"
        )


def extract_table(
    warehouse: psycopg.Connection,
    client: httpx.Client,
    base_url: str,
    token: str,
    source: SourceTable,
    logical_date: date,
    window_end: datetime,
    retry: RetryPolicy,
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end)
    convert = row_converter(source, from_json=True, not_after=window.end)
    key = source.primary_key
    with replace_batch(warehouse, source, logical_date, window) as batch:
        pages = iter_pages(
            base_url,
            source.name,
            token=token,
            updated_since=window.start,
            updated_before=window.end,
            retry=retry,
            client=client,
        )
        for page in pages:
            for record in page:
                try:
                    row = convert(record)
                    check_in_window(source, row, window)
                    batch.write_row(row)
                except RecordError as error:
                    locator = "/".join(str(record.get(column)) for column in key)
                    batch.quarantine(locator, str(error), json.dumps(record, default=str))
    return batch


def extract_crm(
    warehouse_url: str,
    base_url: str,
    token: str,
    logical_date: date,
    window_end: datetime,
    progress: Callable[[str], None] = print,
    retry: RetryPolicy | None = None,
) -> list[Batch]:
    policy = retry or RetryPolicy()
    with httpx.Client() as client:
        return land_system(
            warehouse_url,
            "crm",
            lambda warehouse, source: extract_table(
                warehouse, client, base_url, token, source, logical_date, window_end, policy
            ),
            progress,
        )
