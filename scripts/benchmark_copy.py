"""Measure landing speed: the largest table's extract against the server's raw COPY rate.

Usage: python scripts/benchmark_copy.py [--rows 1000000]
Needs the generated core-banking database (run `make demo` or `make generate` first).
Prints rows per second for (1) psycopg COPY of narrow generated rows into an
unlogged scratch table and (2) the real core-banking `transactions` extract
(COPY out of the source, COPY into raw_core_banking) for a fresh logical date.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime

import psycopg

from cvw.catalog import table
from cvw.config import load_settings
from cvw.extract.core_banking import extract_table
from cvw.landing import ensure_raw_tables

BENCHMARK_DATE = date(1999, 12, 31)  # a logical date no real run uses; its batch is removed after


def raw_copy_rate(url: str, rows: int) -> float:
    with psycopg.connect(url) as conn:
        conn.execute(
            "create unlogged table if not exists benchmark_copy"
            " (id bigint, amount numeric(18,2), note text)"
        )
        conn.execute("truncate benchmark_copy")
        started = time.perf_counter()
        with conn.cursor().copy("copy benchmark_copy (id, amount, note) from stdin") as copy:
            for number in range(rows):
                copy.write_row((number, number % 100_000 / 100, "x"))
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("drop table benchmark_copy")
    return rows / elapsed


def extract_rate(settings) -> tuple[int, float]:
    source = table("core_banking", "transactions")
    with (
        psycopg.connect(settings.warehouse_url) as warehouse,
        psycopg.connect(settings.core_banking_url) as core_banking,
    ):
        ensure_raw_tables(warehouse)
        warehouse.commit()
        started = time.perf_counter()
        batch = extract_table(
            warehouse, core_banking, source, BENCHMARK_DATE, datetime(2100, 1, 1, tzinfo=UTC)
        )
        elapsed = time.perf_counter() - started
        warehouse.execute(
            f"delete from {source.raw_table} where _logical_date = %s", (BENCHMARK_DATE,)
        )
        warehouse.execute(
            "delete from raw_meta.load_batches where batch_id = %s", (batch.batch_id,)
        )
    return batch.rows_loaded, batch.rows_loaded / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    settings = load_settings()
    copy_rate = raw_copy_rate(settings.warehouse_url, args.rows)
    print(f"raw COPY of {args.rows:,} narrow rows: {copy_rate:,.0f} rows/s")
    rows, rate = extract_rate(settings)
    print(f"core_banking.transactions extract, {rows:,} rows: {rate:,.0f} rows/s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except psycopg.OperationalError as error:
        print(f"error: cannot reach PostgreSQL ({error}); run `make demo` first", file=sys.stderr)
        sys.exit(1)
