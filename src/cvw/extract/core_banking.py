"""Extract from the core-banking database: one SQL query per table, COPY to COPY.

Rows changed inside the extraction window stream from the source's
``COPY (select ...) TO STDOUT`` straight into the warehouse's ``COPY ... FROM
STDIN``; nothing is materialised in Python. Source types equal the raw types
(the catalog defines both), so no record can fail to load: the row counts of
both sides must agree or the batch is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import psycopg
from psycopg import sql

from cvw.catalog import SourceTable
from cvw.landing import Batch, land_system, replace_batch, window_for
from cvw.watermarks import Window


def extraction_query(source: SourceTable, window: Window, batch: Batch) -> sql.Composed:
    """``COPY (select <columns>, <lineage literals> ...) TO STDOUT`` for one window."""
    columns = [sql.Identifier(name) for name in source.column_names]
    lineage = [sql.Literal(value) for value in batch.lineage]
    change = sql.Identifier(source.change_column)
    conditions = [sql.SQL("{} < {}").format(change, sql.Literal(window.end))]
    if window.start is not None:
        conditions.insert(0, sql.SQL("{} >= {}").format(change, sql.Literal(window.start)))
    return sql.SQL("copy (select {columns} from {table} where {conditions}) to stdout").format(
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
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end)
    with replace_batch(warehouse, source, logical_date, window) as batch:
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
) -> list[Batch]:
    with psycopg.connect(core_banking_url) as core_banking:
        core_banking.read_only = True
        return land_system(
            warehouse_url,
            "core_banking",
            lambda warehouse, source: extract_table(
                warehouse, core_banking, source, logical_date, window_end
            ),
            progress,
        )
