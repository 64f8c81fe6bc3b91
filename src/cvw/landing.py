"""Raw landing zone: the ``raw_*`` tables, the batch log and the quarantine.

Every extract writes one batch per source table and logical date. The batch log
(``raw_meta.load_batches``) records the extraction window and the counts, so a
rerun of the same logical date replaces exactly that batch, and the next date
continues from the previous window's end (the watermark).

A window read with a lookback (``cvw.watermarks``) overlaps the previous
night's, so a batch can be told to skip rows already landed: a row identical
in every source column to one that another logical date's batch landed is counted
in ``rows_already_landed`` instead of being landed twice, and the batch log
keeps ``rows_read = rows_loaded + rows_quarantined + rows_already_landed``.
A changed row (a correction, even with an unchanged change timestamp) is new
and lands; staging keeps the newest version of each key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from cvw.catalog import (
    ALL_TABLES,
    LINEAGE_COLUMNS,
    SYSTEMS,
    SourceTable,
    create_table_sql,
    tables_of,
)
from cvw.db_rows import one_value
from cvw.watermarks import Window, batch_history, plan_window

META_DDL = """
create table if not exists raw_meta.load_batches (
    batch_id text primary key,
    source_system text not null,
    table_name text not null,
    logical_date date not null,
    window_start timestamptz,
    window_end timestamptz not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    rows_already_landed bigint not null default 0,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    unique (source_system, table_name, logical_date),
    constraint load_batches_counts_add_up
        check (rows_read = rows_loaded + rows_quarantined + rows_already_landed)
);
-- Batch logs created before rows_already_landed existed: add it, and let the
-- count check include it.
alter table raw_meta.load_batches
    add column if not exists rows_already_landed bigint not null default 0;
alter table raw_meta.load_batches drop constraint if exists load_batches_check;
do $$
begin
    if not exists (
        select from pg_constraint where conname = 'load_batches_counts_add_up'
        and conrelid = 'raw_meta.load_batches'::regclass
    ) then
        alter table raw_meta.load_batches add constraint load_batches_counts_add_up
            check (rows_read = rows_loaded + rows_quarantined + rows_already_landed);
    end if;
end
$$;
create table if not exists raw_meta.quarantine (
    batch_id text not null,
    source_system text not null,
    table_name text not null,
    record_locator text not null,
    reason text not null,
    record text not null,
    quarantined_at timestamptz not null default now()
);
"""


def ensure_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create a schema only where it is missing: the loader owns its schemas but may
    not create new ones (cvw.access), and PostgreSQL checks that right even for
    ``create schema if not exists``."""
    if one_value(conn.execute("select to_regnamespace(%s)", (schema,))) is None:
        conn.execute(f"create schema {schema}")


def ensure_raw_tables(conn: psycopg.Connection) -> None:
    """Create the landing schemas, raw tables, batch log and quarantine if missing."""
    # Extract tasks run in parallel; concurrent "create ... if not exists" can still collide.
    conn.execute("select pg_advisory_xact_lock(hashtext('cvw.ensure_raw_tables'))")
    for schema in ["raw_meta", *(f"raw_{system}" for system in SYSTEMS)]:
        ensure_schema(conn, schema)
    conn.execute(META_DDL)
    for source in ALL_TABLES:
        conn.execute(create_table_sql(source, source.raw_table, lineage=True))
        _add_new_columns(conn, source)
        # Each night's gate and a rerun's replace read one logical date, and
        # incremental staging reads the batches loaded since its last build.
        # Batches are appended in date and load order, so BRIN indexes (a few
        # pages, nearly free to keep up during COPY) let them skip the earlier
        # nights' blocks.
        for column in ("_logical_date", "_loaded_at"):
            conn.execute(
                f"create index if not exists {source.name}_{column} on {source.raw_table}"
                f" using brin ({column})"
            )


def _add_new_columns(conn: psycopg.Connection, source: SourceTable) -> None:
    """Add the columns the source gained since its landing was created (a newer
    catalog), nullable: the rows of earlier nights never had them."""
    schema, table = source.raw_table.split(".")
    landed = {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = %s and table_name = %s",
            (schema, table),
        )
    }
    for column in source.columns:
        if column.name not in landed:
            conn.execute(f"alter table {source.raw_table} add column {column.name} {column.type}")


@dataclass
class Batch:
    """One table's landing for one logical date, filled inside ``replace_batch``."""

    source: SourceTable
    logical_date: date
    window: Window
    batch_id: str
    loaded_at: datetime
    copy: psycopg.Copy | None = None
    rows_loaded: int = 0
    rows_already_landed: int = 0  # re-read rows identical to ones an earlier batch landed
    expected_rows: int | None = None  # rows the source says it sent, checked before commit
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def lineage(self) -> tuple[str, date, datetime]:
        return (self.batch_id, self.logical_date, self.loaded_at)

    def write_row(self, values: tuple[Any, ...]) -> None:
        assert self.copy is not None, "write_row is only valid inside replace_batch"
        self.copy.write_row(values + self.lineage)

    def quarantine(self, locator: str, reason: str, record: str) -> None:
        self.quarantined.append((locator, reason, record))

    @property
    def rows_read(self) -> int:
        return self.rows_loaded + len(self.quarantined) + self.rows_already_landed

    def describe(self) -> str:
        text = f"{self.source.raw_table}: {self.rows_loaded:,} rows loaded"
        if self.quarantined:
            text += f", {len(self.quarantined):,} quarantined"
        if self.rows_already_landed:
            text += f", {self.rows_already_landed:,} already landed"
        return text


def _landed_columns(source: SourceTable) -> str:
    return ", ".join(source.column_names + [column.name for column in LINEAGE_COLUMNS])


def copy_into_raw_sql(source: SourceTable, target: str | None = None, binary: bool = False) -> str:
    options = " (format binary)" if binary else ""
    return f"copy {target or source.raw_table} ({_landed_columns(source)}) from stdin{options}"


def earliest_overlapping_date(
    conn: psycopg.Connection, source: SourceTable, logical_date: date, window: Window
) -> date | None:
    """The oldest logical date, other than this one, whose batch may hold rows of ``window``.

    A landed row's change timestamp lies before its batch's window end, so only
    batches that ended after this window starts can hold one of its rows. The
    comparison reads the raw blocks from that date on (BRIN on
    ``_logical_date``): a few nightly batches, or the whole first load during
    the first lookback days after it.
    """
    earliest: date | None = one_value(
        conn.execute(
            "select min(logical_date) from raw_meta.load_batches where source_system = %s"
            " and table_name = %s and logical_date <> %s"
            " and (%s::timestamptz is null or window_end > %s)",
            (source.system, source.name, logical_date, window.start, window.start),
        )
    )
    return earliest


def insert_not_yet_landed_sql(source: SourceTable, incoming: str) -> str:
    """Move rows from ``incoming`` to the raw table unless an identical row is landed.

    The key and change column make the join; every other column must match too
    (nulls equal), so a row changed without a new change timestamp still lands.
    """
    equal_keys = " and ".join(
        f"landed.{name} = incoming.{name}" for name in (*source.primary_key, source.change_column)
    )
    landed_row = ", ".join(f"landed.{name}" for name in source.column_names)
    incoming_row = ", ".join(f"incoming.{name}" for name in source.column_names)
    return (
        f"insert into {source.raw_table} ({_landed_columns(source)})"
        f" select {_landed_columns(source)} from {incoming} as incoming where not exists ("
        f"select from {source.raw_table} as landed where landed._logical_date >= %s"
        f" and {equal_keys} and row({landed_row}) is not distinct from row({incoming_row}))"
    )


@contextmanager
def replace_batch(
    conn: psycopg.Connection,
    source: SourceTable,
    logical_date: date,
    window: Window,
    *,
    skip_landed: bool = False,
    binary: bool = False,
) -> Iterator[Batch]:
    """Replace the batch of ``source`` for ``logical_date`` in one transaction.

    Rows are streamed into the raw table with COPY; quarantined records are kept
    with their reason; the batch log row is written last, so a failure anywhere
    leaves the previous landing of that date untouched. With ``skip_landed``,
    rows go through a temporary table first and only those not landed yet by
    another date's batch reach the raw table (none of them can be on a first
    load, which streams straight in). ``binary`` takes the COPY stream in
    PostgreSQL's binary format, every landed column in its raw type.
    """
    started_at = datetime.now(UTC)
    batch = Batch(
        source=source,
        logical_date=logical_date,
        window=window,
        batch_id=f"{source.system}.{source.name}.{logical_date:%Y%m%d}.{started_at:%Y%m%dT%H%M%S%f}",
        loaded_at=started_at,
    )
    key = (source.system, source.name, logical_date)
    with conn.transaction():
        conn.execute(
            "delete from raw_meta.quarantine where batch_id in (select batch_id from"
            " raw_meta.load_batches where source_system = %s and table_name = %s"
            " and logical_date = %s)",
            key,
        )
        conn.execute(
            "delete from raw_meta.load_batches where source_system = %s and table_name = %s"
            " and logical_date = %s",
            key,
        )
        conn.execute(f"delete from {source.raw_table} where _logical_date = %s", (logical_date,))
        overlapping = (
            earliest_overlapping_date(conn, source, logical_date, window) if skip_landed else None
        )
        incoming = f"incoming_{source.name}"
        if overlapping is not None:
            conn.execute(
                f"create temporary table {incoming} (like {source.raw_table}) on commit drop"
            )
        with conn.cursor() as cursor:
            target = incoming if overlapping is not None else None
            with cursor.copy(copy_into_raw_sql(source, target, binary)) as copy:
                batch.copy = copy
                yield batch
            batch.copy = None
            batch.rows_loaded = cursor.rowcount
            if overlapping is not None:
                copied = cursor.rowcount
                cursor.execute(f"analyze {incoming}")
                cursor.execute(insert_not_yet_landed_sql(source, incoming), (overlapping,))
                batch.rows_loaded = cursor.rowcount
                batch.rows_already_landed = copied - cursor.rowcount
        if batch.expected_rows is not None and batch.expected_rows != batch.rows_read:
            raise RuntimeError(
                f"{source.raw_table}: the source sent {batch.expected_rows} rows but "
                f"{batch.rows_read} were read; batch rolled back"
            )
        if batch.quarantined:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "insert into raw_meta.quarantine (batch_id, source_system, table_name,"
                    " record_locator, reason, record) values (%s, %s, %s, %s, %s, %s)",
                    [(batch.batch_id, source.system, source.name, *q) for q in batch.quarantined],
                )
        conn.execute(
            "insert into raw_meta.load_batches (batch_id, source_system, table_name, logical_date,"
            " window_start, window_end, rows_read, rows_loaded, rows_quarantined,"
            " rows_already_landed, started_at, finished_at)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp())",
            (
                batch.batch_id, *key, window.start, window.end, batch.rows_read,
                batch.rows_loaded, len(batch.quarantined), batch.rows_already_landed, started_at,
            ),
        )  # fmt: skip


def window_for(
    conn: psycopg.Connection,
    source: SourceTable,
    logical_date: date,
    end: datetime,
    lookback: timedelta = timedelta(0),
) -> Window:
    history = batch_history(conn, source.system, source.name)
    return plan_window(history, logical_date, end, lookback)


def land_system(
    warehouse_url: str,
    system: str,
    land_table: Callable[[psycopg.Connection, SourceTable], Batch],
    progress: Callable[[str], None] = print,
) -> list[Batch]:
    """Land every catalog table of ``system``, one batch (and transaction) per table."""
    batches = []
    with psycopg.connect(warehouse_url) as warehouse:
        ensure_raw_tables(warehouse)
        warehouse.commit()
        for source in tables_of(system):
            batch = land_table(warehouse, source)
            # Fresh statistics now, not whenever autovacuum gets to it: staging views
            # over these tables are planned from them minutes later.
            warehouse.execute(f"analyze {source.raw_table}")
            warehouse.commit()
            progress(batch.describe())
            batches.append(batch)
    return batches
