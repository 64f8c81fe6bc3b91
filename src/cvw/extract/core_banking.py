"""Extract from the core-banking database: one SQL query per table, COPY to COPY.

Rows changed inside the extraction window stream from the source's
``COPY (select ...) TO STDOUT`` straight into the warehouse's ``COPY ... FROM
STDIN``; nothing is materialised in Python. Source types equal the raw types
(the catalog defines both), so no record can fail to load: the row counts of
both sides must agree or the batch is rolled back.

Each window reaches back ``CORE_BANKING_LOOKBACK_DAYS`` (default 3) before the
watermark, because core banking stamps a change when it is made, not when it
commits or is corrected: a back-dated posting or a correction written after the
previous run is older than that run's window end and would otherwise never be
read. Re-read rows that are already landed are skipped and counted
(``rows_already_landed``), so the overlap adds nothing to the raw tables.
A row back-dated by more than the lookback is missed: raise the lookback for a
source known to back-date further, and catch the rest with a control total
(count of a table's keys at the source with a change before the window end
against the distinct keys landed; the source holding more means a row was
missed; rerunning the latest date with a lookback reaching the row lands it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import psycopg
from psycopg import sql

from cvw.catalog import LINEAGE_COLUMNS, SourceTable
from cvw.config import load_settings
from cvw.landing import Batch, land_system, replace_batch, window_for
from cvw.watermarks import Window


def extraction_query(source: SourceTable, window: Window, batch: Batch) -> sql.Composed:
    """``COPY (select <columns>, <lineage literals> ...) TO STDOUT`` for one window.

    Binary COPY: neither server formats or parses a value as text, which was
    about half the warehouse's work per row (the lineage timestamp alone a
    third). Binary needs the landing's exact types, so every column is cast
    to its catalog type at the source (free where they already agree).
    """
    columns = [
        sql.SQL("cast({} as {})").format(sql.Identifier(column.name), sql.SQL(column.type))
        for column in source.columns
    ]
    lineage = [
        sql.SQL("cast({} as {})").format(sql.Literal(value), sql.SQL(column.type))
        for value, column in zip(batch.lineage, LINEAGE_COLUMNS, strict=True)
    ]
    change = sql.Identifier(source.change_column)
    conditions = [sql.SQL("{} < {}").format(change, sql.Literal(window.end))]
    if window.start is not None:
        conditions.insert(0, sql.SQL("{} >= {}").format(change, sql.Literal(window.start)))
    return sql.SQL(
        "copy (select {columns} from {table} where {conditions}) to stdout (format binary)"
    ).format(
        columns=sql.SQL(", ").join(columns + lineage),
        table=sql.Identifier(source.name),
        conditions=sql.SQL(" and ").join(conditions),
    )


def extract_table(
    warehouse: psycopg.Connection,
    core_banking: psycopg.Connection,
    source: SourceTable,
    logical_date: date,
    window_end: datetime,
    lookback: timedelta,
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end, lookback)
    with replace_batch(
        warehouse, source, logical_date, window, skip_landed=True, binary=True
    ) as batch:
        with core_banking.cursor() as cursor:
            with cursor.copy(extraction_query(source, window, batch)) as source_copy:
                assert batch.copy is not None
                for chunk in source_copy:
                    batch.copy.write(chunk)
            batch.expected_rows = cursor.rowcount
    return batch


def extract_core_banking(
    warehouse_url: str,
    core_banking_url: str,
    logical_date: date,
    window_end: datetime,
    progress: Callable[[str], None] = print,
    lookback: timedelta | None = None,
) -> list[Batch]:
    """Land every core-banking table; ``lookback`` defaults to the configured one."""
    if lookback is None:
        lookback = load_settings().core_banking_lookback
    with psycopg.connect(core_banking_url) as core_banking:
        core_banking.read_only = True
        return land_system(
            warehouse_url,
            "core_banking",
            lambda warehouse, source: extract_table(
                warehouse, core_banking, source, logical_date, window_end, lookback
            ),
            progress,
        )
