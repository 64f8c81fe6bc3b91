"""Late core-banking rows: back-dated postings and corrections committed after a run.

Source and warehouse share one scratch database (source tables in ``public``,
landings in ``raw_core_banking``). Night 1 runs at 2026-11-01 06:00, night 2 at
2026-11-02 06:00 with a three-day lookback, so night 2 reads changes from
2026-10-29 06:00. Every expected count below is worked out by hand from the
rows each test inserts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cvw.catalog import create_table_sql, tables_of
from cvw.config import PROJECT_ROOT, dbt_env
from cvw.extract.core_banking import extract_core_banking

NIGHT_1 = datetime(2026, 11, 1, 6, tzinfo=UTC)
NIGHT_2 = datetime(2026, 11, 2, 6, tzinfo=UTC)
LOOKBACK = timedelta(days=3)
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _transaction(conn: psycopg.Connection, transaction_id: int, posted_at: str) -> None:
    conn.execute(
        "insert into transactions values (%s, 'A-1', 'C1', %s, 'branch', 'deposit', 10.00)",
        (transaction_id, posted_at),
    )


def _customer(conn: psycopg.Connection, customer_id: str, segment: str, updated_at: str) -> None:
    conn.execute(
        "insert into customers (customer_id, customer_type, full_name, segment, branch_id,"
        " region, onboarded_date, status, updated_at) values"
        " (%s, 'retail', 'Wang Fang', %s, 'BR001', 'east', '2020-01-01', 'active', %s)"
        " on conflict (customer_id) do update set segment = excluded.segment,"
        " updated_at = excluded.updated_at",
        (customer_id, segment, updated_at),
    )


@pytest.fixture
def source(scratch_database: str) -> str:
    """Empty core-banking tables, keyed as the source keys them."""
    with psycopg.connect(scratch_database) as conn:
        for table in tables_of("core_banking"):
            conn.execute(create_table_sql(table, table.name, lineage=False))
            conn.execute(
                f"alter table {table.name} add primary key ({', '.join(table.primary_key)})"
            )
        for transaction_id, posted_at in [
            (1, "2026-10-20 10:00+00"),  # long before either window
            (2, "2026-10-31 12:00+00"),  # inside night 2's overlap
            (3, "2026-11-01 05:00+00"),  # inside night 2's overlap
        ]:
            _transaction(conn, transaction_id, posted_at)
        _customer(conn, "C1", "mass", "2026-10-10 09:00+00")
        _customer(conn, "C2", "mass", "2026-10-31 09:00+00")  # inside the overlap
    return scratch_database


def _extract(url: str, moment: datetime, lookback: timedelta = LOOKBACK) -> None:
    extract_core_banking(
        url, url, moment.date(), moment, progress=lambda _: None, lookback=lookback
    )


def _batch(url: str, table: str, moment: datetime) -> tuple[int, int, int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select rows_read, rows_loaded, rows_quarantined, rows_already_landed"
            " from raw_meta.load_batches where table_name = %s and logical_date = %s",
            (table, moment.date()),
        ).fetchone()
    assert row is not None
    return row


def _raw_ids(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select transaction_id from raw_core_banking.transactions order by transaction_id"
        ).fetchall()
    return [row[0] for row in rows]


def _late_arrivals(url: str) -> None:
    """What core banking commits between the two nights."""
    with psycopg.connect(url) as conn:
        _transaction(conn, 4, "2026-11-01 12:00+00")  # an ordinary new posting
        _transaction(conn, 5, "2026-10-30 09:00+00")  # back-dated, within the lookback
        _transaction(conn, 6, "2026-10-25 09:00+00")  # back-dated beyond the lookback
        _customer(conn, "C1", "affluent", "2026-10-30 12:00+00")  # correction, within it


def _build_staging(url: str, target_path: Path) -> None:
    """The two staging models over the scratch landings, built by dbt itself."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"), "run", "--quiet",
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target_path),
            "--select", "stg_core_banking__transactions", "stg_core_banking__customers",
        ],
        cwd=DBT_PROJECT_DIR, env={**os.environ, **dbt_env(url)}, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_back_dated_posting_within_the_lookback_lands_on_the_next_night(source):
    _extract(source, NIGHT_1)
    assert _batch(source, "transactions", NIGHT_1) == (3, 3, 0, 0)
    _late_arrivals(source)
    _extract(source, NIGHT_2)
    # Night 2 reads 2, 3 (overlap, already landed), 4 and 5; 6 is older than its window.
    assert _batch(source, "transactions", NIGHT_2) == (4, 2, 0, 2)
    assert _raw_ids(source) == [1, 2, 3, 4, 5]


def test_without_a_lookback_the_back_dated_posting_is_never_read(source):
    _extract(source, NIGHT_1, timedelta(0))
    _late_arrivals(source)
    _extract(source, NIGHT_2, timedelta(0))
    assert _batch(source, "transactions", NIGHT_2) == (1, 1, 0, 0)
    assert _raw_ids(source) == [1, 2, 3, 4]


def test_correction_older_than_the_watermark_lands_as_a_new_version(source):
    _extract(source, NIGHT_1)
    assert _batch(source, "customers", NIGHT_1) == (2, 2, 0, 0)
    _late_arrivals(source)
    _extract(source, NIGHT_2)
    # C1's corrected version is new; C2 is re-read unchanged from the overlap.
    assert _batch(source, "customers", NIGHT_2) == (2, 1, 0, 1)
    with psycopg.connect(source) as conn:
        versions = conn.execute(
            "select customer_id, segment from raw_core_banking.customers"
            " order by customer_id, updated_at"
        ).fetchall()
    assert versions == [("C1", "mass"), ("C1", "affluent"), ("C2", "mass")]


def test_a_changed_row_with_an_unchanged_timestamp_is_not_taken_for_a_landed_one(source):
    _extract(source, NIGHT_1)
    with psycopg.connect(source) as conn:
        conn.execute("update transactions set amount = 12.50 where transaction_id = 3")
    _extract(source, NIGHT_2)
    # 2 is identical to its landed copy, 3 differs in amount: read 2, loaded 1, landed 1.
    assert _batch(source, "transactions", NIGHT_2) == (2, 1, 0, 1)


def test_rerunning_the_next_night_lands_the_same_rows_once(source):
    _extract(source, NIGHT_1)
    _late_arrivals(source)
    _extract(source, NIGHT_2)
    _extract(source, NIGHT_2)
    assert _batch(source, "transactions", NIGHT_2) == (4, 2, 0, 2)
    assert _raw_ids(source) == [1, 2, 3, 4, 5]
    # Rerunning the first night (no earlier history, so no lower bound) reads 1, 2, 3,
    # 5 and 6: 5 is night 2's already, 6 (beyond the lookback) lands at last.
    _extract(source, NIGHT_1)
    assert _batch(source, "transactions", NIGHT_1) == (5, 4, 0, 1)
    assert _raw_ids(source) == [1, 2, 3, 4, 5, 6]


def test_staging_counts_each_late_row_once_and_keeps_the_correction(source, tmp_path):
    _extract(source, NIGHT_1)
    _late_arrivals(source)
    _extract(source, NIGHT_2)
    _build_staging(source, tmp_path / "dbt_target")
    with psycopg.connect(source) as conn:
        transactions = conn.execute(
            "select count(*), count(distinct transaction_id), sum(amount)"
            " from staging.stg_core_banking__transactions"
        ).fetchone()
        customers = conn.execute(
            "select customer_id, segment from staging.stg_core_banking__customers"
            " order by customer_id"
        ).fetchall()
    assert transactions == (5, 5, 50)
    assert customers == [("C1", "affluent"), ("C2", "mass")]
