"""Publish the validated marts atomically by swapping schemas in one transaction.

dbt builds every mart into ``marts_build``; once the quality gate has passed,
one transaction renames ``marts`` to ``marts_previous`` and ``marts_build`` to
``marts``. PostgreSQL DDL is transactional, so a reader sees either the old
set of tables or the new one, never a mix, and a failed run never reaches this
step, leaving the last good marts in place. ``marts_previous`` is kept for one
cycle as an instant rollback.

The same transaction promotes the build's dbt snapshots (``snapshots_build``,
which each build starts as a copy of ``snapshots``), so history recorded by a
build that never published is discarded with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"
PREVIOUS_SCHEMA = "marts_previous"
SNAPSHOT_BUILD_SCHEMA = "snapshots_build"
SNAPSHOT_SCHEMA = "snapshots"

PUBLICATIONS_DDL = """
create schema if not exists warehouse_meta;
create table if not exists warehouse_meta.publications (
    publication_id bigint generated always as identity primary key,
    logical_date date not null,
    published_at timestamptz not null default now(),
    table_row_counts jsonb not null
);
"""


@dataclass(frozen=True)
class Publication:
    logical_date: date
    table_row_counts: dict[str, int]


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None


def _row_counts(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = %s"
            " and table_type = 'BASE TABLE' order by table_name",
            (schema,),
        )
    ]
    counts = {}
    for name in tables:
        query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, name))
        counts[name] = conn.execute(query).fetchone()[0]
    return counts


def _lock_out_readers(conn: psycopg.Connection, schema: str) -> None:
    """Wait for readers of the published tables to finish, and hold new ones until commit.

    Renaming a schema locks no table in it. Without this lock a reader's
    statement (or transaction) that has opened one published table could open
    the next one after the swap and join old rows to new ones. Holding every
    published table exclusively makes a reader see the old set or, once it is
    granted its lock after the commit and re-resolves the names, the new set.
    """
    tables = [
        sql.Identifier(schema, row[0])
        for row in conn.execute(
            "select tablename from pg_tables where schemaname = %s order by tablename", (schema,)
        )
    ]
    if tables:
        conn.execute(
            sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(tables))
        )


def publish_marts(warehouse_url: str, logical_date: date) -> Publication:
    reader_role = os.environ.get("MARTS_READER_ROLE", "").strip()
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(PUBLICATIONS_DDL)
        conn.commit()
        with conn.transaction():
            # Fail fast rather than queue behind a long BI query holding a lock.
            conn.execute("set local lock_timeout = '60s'")
            if not _schema_exists(conn, BUILD_SCHEMA):
                raise RuntimeError(f"nothing to publish: schema {BUILD_SCHEMA} does not exist")
            counts = _row_counts(conn, BUILD_SCHEMA)
            if not counts:
                raise RuntimeError(f"nothing to publish: schema {BUILD_SCHEMA} has no tables")
            conn.execute(f"drop schema if exists {PREVIOUS_SCHEMA} cascade")
            if _schema_exists(conn, PUBLISHED_SCHEMA):
                _lock_out_readers(conn, PUBLISHED_SCHEMA)
                conn.execute(f"alter schema {PUBLISHED_SCHEMA} rename to {PREVIOUS_SCHEMA}")
            conn.execute(f"alter schema {BUILD_SCHEMA} rename to {PUBLISHED_SCHEMA}")
            if _schema_exists(conn, SNAPSHOT_BUILD_SCHEMA):
                conn.execute(f"drop schema if exists {SNAPSHOT_SCHEMA} cascade")
                conn.execute(f"alter schema {SNAPSHOT_BUILD_SCHEMA} rename to {SNAPSHOT_SCHEMA}")
            if reader_role:
                role = sql.Identifier(reader_role)
                conn.execute(sql.SQL("grant usage on schema marts to {}").format(role))
                conn.execute(
                    sql.SQL("grant select on all tables in schema marts to {}").format(role)
                )
            conn.execute(
                "insert into warehouse_meta.publications (logical_date, table_row_counts)"
                " values (%s, %s::jsonb)",
                (logical_date, psycopg.types.json.Jsonb(counts)),
            )
    return Publication(logical_date=logical_date, table_row_counts=counts)
