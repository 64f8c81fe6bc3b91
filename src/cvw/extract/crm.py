"""Extract from the CRM REST API: paged, incremental on ``updated_at``, retried on failure.

Records arrive as JSON; each is typed against the catalog before COPY and a
record that does not fit is quarantined with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime

import httpx
import psycopg

from cvw.catalog import SourceTable
from cvw.extract.crm_client import RetryPolicy, iter_pages
from cvw.landing import Batch, land_system, replace_batch, window_for
from cvw.records import RecordError, row_converter


def extract_table(
    warehouse: psycopg.Connection,
    client: httpx.Client,
    base_url: str,
    source: SourceTable,
    logical_date: date,
    window_end: datetime,
    retry: RetryPolicy,
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end)
    convert = row_converter(source)
    key = source.primary_key
    with replace_batch(warehouse, source, logical_date, window) as batch:
        pages = iter_pages(
            base_url,
            source.name,
            updated_since=window.start,
            updated_before=window.end,
            retry=retry,
            client=client,
        )
        for page in pages:
            for record in page:
                try:
                    batch.write_row(convert(record))
                except RecordError as error:
                    locator = "/".join(str(record.get(column)) for column in key)
                    batch.quarantine(locator, str(error), json.dumps(record, default=str))
    return batch


def extract_crm(
    warehouse_url: str,
    base_url: str,
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
                warehouse, client, base_url, source, logical_date, window_end, policy
            ),
            progress,
        )
