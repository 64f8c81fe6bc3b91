"""Raw landing zone: the ``raw_*`` tables, the batch log and the quarantine.

Every extract writes one batch per source table and logical date. The batch log
(``raw_meta.load_batches``) records the extraction window and the counts, so a
rerun of the same logical date replaces exactly that batch, and the next date
continues from the previous window's end (the watermark).
"""

from __future__ import annotations

import psycopg

from cvw.catalog import ALL_TABLES, SYSTEMS, create_table_sql

META_DDL = """
create schema if not exists raw_meta;
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
    started_at timestamptz not null,
    finished_at timestamptz not null,
    unique (source_system, table_name, logical_date),
    check (rows_read = rows_loaded + rows_quarantined)
);
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


def ensure_raw_tables(conn: psycopg.Connection) -> None:
    """Create the landing schemas, raw tables, batch log and quarantine if missing."""
    conn.execute(META_DDL)
    for system in SYSTEMS:
        conn.execute(f"create schema if not exists raw_{system}")
    for source in ALL_TABLES:
        conn.execute(create_table_sql(source, source.raw_table, lineage=True))
