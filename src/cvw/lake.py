"""The Parquet copy of the raw landings that Spark builds from.

PostgreSQL stays the landing zone: the batch log, the quarantine and the
watermarks need its transactions. After a batch commits, its rows are copied
to ``<lake>/raw_<system>/<table>/_logical_date=YYYY-MM-DD/part-0.parquet``, one
partition per logical date, so the Spark tables over these folders
(``macros/staging/register_raw_landings.sql``) see what PostgreSQL holds. The
partition's value is its folder name, as Hive lays partitions out: the files
carry every other landed column, lineage included, in the types of the catalog.

A partition is written beside the one it replaces and then renamed over it,
so a rerun of a date replaces exactly that date, and a copy killed while
writing leaves the previous one in place. The batch log, small, is copied
whole after each copy, partitioned by source system
(``<lake>/raw_meta/load_batches/source_system=<system>/``): the three
systems' extracts run at once, and each rewrites only its own system's part.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from cvw.catalog import LINEAGE_COLUMNS, SourceTable, tables_of
from cvw.config import load_settings

PARTITION_COLUMN = "_logical_date"
LOAD_BATCHES_PARTITION_COLUMN = "source_system"
PART_FILE = "part-0.parquet"
# Rows fetched from PostgreSQL per round trip and written per Parquet row group:
# a bank's transactions landing is millions of rows, never held in memory at once.
CHUNK_ROWS = 100_000
# The batch log as Spark reads it (raw_meta.load_batches in cvw.landing).
LOAD_BATCHES_COLUMNS = (
    ("batch_id", "text"),
    ("table_name", "text"),
    ("logical_date", "date"),
    ("window_start", "timestamptz"),
    ("window_end", "timestamptz"),
    ("rows_read", "bigint"),
    ("rows_loaded", "bigint"),
    ("rows_quarantined", "bigint"),
    ("rows_already_landed", "bigint"),
    ("started_at", "timestamptz"),
    ("finished_at", "timestamptz"),
)
_SIMPLE_TYPES = {
    "text": pa.string(),
    "date": pa.date32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "boolean": pa.bool_(),
    # Microseconds, as PostgreSQL keeps them; adjusted to UTC, which Spark reads
    # as its (session time zone) timestamp.
    "timestamptz": pa.timestamp("us", tz="UTC"),
}
_NUMERIC = re.compile(r"numeric\((\d+),\s*(\d+)\)")


def arrow_type(pg_type: str) -> pa.DataType:
    """The Parquet (Arrow) type that holds a catalog column's PostgreSQL type exactly."""
    numeric = _NUMERIC.fullmatch(pg_type.strip())
    if numeric:
        return pa.decimal128(int(numeric.group(1)), int(numeric.group(2)))
    try:
        return _SIMPLE_TYPES[pg_type.strip()]
    except KeyError:
        raise ValueError(f"no Parquet type for the PostgreSQL type {pg_type!r}") from None


def landing_schema(source: SourceTable) -> pa.Schema:
    """The columns of one landing's Parquet files: all landed columns but the partition's."""
    columns = [*source.columns, *(c for c in LINEAGE_COLUMNS if c.name != PARTITION_COLUMN)]
    return pa.schema(
        [pa.field(column.name, arrow_type(column.type), column.nullable) for column in columns]
    )


def table_dir(lake_dir: Path, source: SourceTable) -> Path:
    return lake_dir / source.raw_schema / source.name


def partition_dir(lake_dir: Path, source: SourceTable, logical_date: date) -> Path:
    return table_dir(lake_dir, source) / f"{PARTITION_COLUMN}={logical_date.isoformat()}"


def export_batches(
    warehouse_url: str,
    lake_dir: Path,
    system: str,
    logical_date: date,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    """Copy one system's committed batches of one logical date, then the batch log.

    Every table of ``system`` that has a batch for the date gets its partition
    replaced (an empty batch gives an empty file, so the date is still there);
    returns the rows written per raw table.
    """
    written = {}
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("set time zone 'UTC'")
        landed = {
            name
            for (name,) in conn.execute(
                "select table_name from raw_meta.load_batches"
                " where source_system = %s and logical_date = %s",
                (system, logical_date),
            )
        }
        for source in tables_of(system):
            if source.name in landed:
                written[source.raw_table] = _export_partition(conn, lake_dir, source, logical_date)
                progress(f"{source.raw_table} {logical_date}: {written[source.raw_table]:,} rows")
        _export_load_batches(conn, lake_dir, system)
    return written


def export_for_engine(warehouse_url: str, system: str, logical_date: date) -> dict[str, int]:
    """An extract task's last step: with the Spark engine, copy the batches it just landed.

    Run after the landing committed, so the copy holds only committed batches;
    a failed copy fails the task, whose retry lands the date again and copies it.
    """
    settings = load_settings()
    if settings.engine != "spark":
        return {}
    return export_batches(warehouse_url, settings.lake_dir, system, logical_date)


def export_all(
    warehouse_url: str, lake_dir: Path, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Copy every landed batch of every table (a new lake, a backfill); rows per raw table."""
    with psycopg.connect(warehouse_url) as conn:
        dates = conn.execute(
            "select distinct source_system, logical_date from raw_meta.load_batches order by 2, 1"
        ).fetchall()
    written: dict[str, int] = {}
    for system, logical_date in dates:
        for raw_table, rows in export_batches(
            warehouse_url, lake_dir, system, logical_date, progress
        ).items():
            written[raw_table] = written.get(raw_table, 0) + rows
    return written


def export_identity_hash_key(transformer_url: str, lake_dir: Path) -> None:
    """Copy the identity-hash pads (cvw.identity_key) for the Spark build's matching.

    The identity models hash matching keys with the warehouse's own key on
    either engine, so the same customer gets the same hash; Spark reads the
    pads as table ``warehouse_meta.identity_hash_key``. They are as secret as
    the key: the lake is under the state directory, private to its owner.
    """
    schema = pa.schema([pa.field("inner_pad", pa.binary()), pa.field("outer_pad", pa.binary())])
    with psycopg.connect(transformer_url) as conn:
        _replace_dir(
            lake_dir / "warehouse_meta" / "identity_hash_key",
            lambda path: _write_query(
                conn,
                "select inner_pad, outer_pad from warehouse_meta.identity_hash_key",
                (),
                schema,
                path,
            ),
        )


def _export_partition(
    conn: psycopg.Connection, lake_dir: Path, source: SourceTable, logical_date: date
) -> int:
    schema = landing_schema(source)
    query = (
        f"select {', '.join(schema.names)} from {source.raw_table} where {PARTITION_COLUMN} = %s"
    )
    return _replace_dir(
        partition_dir(lake_dir, source, logical_date),
        lambda path: _write_query(conn, query, (logical_date,), schema, path),
    )


def _export_load_batches(conn: psycopg.Connection, lake_dir: Path, system: str) -> None:
    schema = pa.schema([pa.field(name, arrow_type(kind)) for name, kind in LOAD_BATCHES_COLUMNS])
    query = (
        f"select {', '.join(schema.names)} from raw_meta.load_batches"
        f" where {LOAD_BATCHES_PARTITION_COLUMN} = %s order by batch_id"
    )
    _replace_dir(
        lake_dir / "raw_meta" / "load_batches" / f"{LOAD_BATCHES_PARTITION_COLUMN}={system}",
        lambda path: _write_query(conn, query, (system,), schema, path),
    )


def _write_query(
    conn: psycopg.Connection, query: str, params: tuple[object, ...], schema: pa.Schema, path: Path
) -> int:
    """Stream a query's rows into one Parquet file, a row group per chunk; the row count."""
    rows_written = 0
    # A named cursor is server-side: PostgreSQL hands the rows over a chunk at a time.
    with conn.cursor(name="lake_export") as cursor, pq.ParquetWriter(path, schema) as writer:
        cursor.itersize = CHUNK_ROWS
        cursor.execute(query, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            writer.write_batch(_record_batch(rows, schema))
            rows_written += len(rows)
    return rows_written


def _record_batch(rows: Iterable[tuple[object, ...]], schema: pa.Schema) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    return pa.record_batch(
        [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _replace_dir(target: Path, write: Callable[[Path], int]) -> int:
    """Write ``target/part-0.parquet`` in a folder beside ``target``, then swap it in.

    The folders beside it start with a dot, which Spark's partition discovery
    skips. A swap killed between its two renames leaves the old folder as
    ``.replaced-*`` and no ``target``: the next write of the same folder puts
    it back first, so a reader never loses a committed landing for good.
    """
    incoming = target.with_name(f".incoming-{target.name}")
    replaced = target.with_name(f".replaced-{target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if replaced.exists():
        if target.exists():
            shutil.rmtree(replaced)
        else:
            replaced.rename(target)
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    rows = write(incoming / PART_FILE)
    if target.exists():
        target.rename(replaced)
    incoming.rename(target)
    shutil.rmtree(replaced, ignore_errors=True)
    return rows
