"""The data-quality gates against a scratch database on the local PostgreSQL server.

The module creates the ``gx_scratch`` database on the test server, lands small hand-made batches for
several logical dates and builds tiny marts in scratch schemas, then drops the
database again. Each failing case differs from a passing one in a single value.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pandas as pd
import psycopg
import pytest

from cvw.catalog import ALL_TABLES
from cvw.config import sibling_database_url
from cvw.landing import ensure_raw_tables
from expectations import (
    DataQualityError,
    ValidationReport,
    raise_for_failures,
    validate_marts,
    validate_raw_landings,
)
from expectations.aggregates import aggregate
from expectations.dialect import POSTGRES
from expectations.marts import mart_checks
from expectations.raw_landings import CODED_COLUMNS, PATTERNS, RANGES
from expectations.runner import (
    Check,
    build_checkpoint,
    ephemeral_context,
    postgres_warehouse,
    run_checks,
)
from tests.mart_tables import build_marts
from tests.raw_batches import (
    RAW_EXPECTATIONS,
    RESTATED_AT,
    VALID_BATCH,
    customer,
    land,
    loan,
)

SCRATCH_DB = "gx_scratch"
VALID_DATE = date(2026, 10, 31)
OUT_OF_RANGE_DATE = date(2026, 11, 1)
SHORT_BATCH_DATE = date(2026, 11, 2)
UNLOGGED_DATE = date(2026, 11, 3)


@pytest.fixture(scope="module")
def scratch_url(pg_admin_url: str) -> Iterator[str]:
    try:
        admin = psycopg.connect(pg_admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {pg_admin_url}: {exc}")
    with admin:
        admin.execute(f"drop database if exists {SCRATCH_DB} with (force)")
        admin.execute(f"create database {SCRATCH_DB}")
        url = sibling_database_url(pg_admin_url, SCRATCH_DB)
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_raw_tables(conn)
            land(conn, VALID_DATE, VALID_BATCH)
            land(
                conn,
                OUT_OF_RANGE_DATE,
                {
                    "raw_core_banking.loans": [
                        loan("A100", updated_at=RESTATED_AT),
                        loan("A101", probability_of_default=1.5, updated_at=RESTATED_AT),
                    ]
                },
            )
            land(
                conn,
                SHORT_BATCH_DATE,
                {
                    "raw_core_banking.customers": [
                        customer(f"C00{n}", updated_at=RESTATED_AT) for n in range(1, 5)
                    ]
                },
                rows_loaded={"raw_core_banking.customers": 5},
            )
            land(conn, UNLOGGED_DATE, {}, unlogged=("raw_crm.surveys",))
            build_marts(conn, "marts_ok")
            build_marts(conn, "marts_gl_off", gl_error=0.01)
            build_marts(conn, "marts_short_360", customers_in_360=9)
            build_marts(conn, "marts_premium_heavy", premium_customers=2)
            build_marts(conn, "marts_retention_above_one", retained_customers=11)
            build_marts(conn, "marts_clv_band_inverted", clv_p90_months=410.0)
        yield url
        admin.execute(f"drop database if exists {SCRATCH_DB} with (force)")


def test_valid_batch_passes_and_ignores_other_dates(scratch_url: str) -> None:
    report = validate_raw_landings(scratch_url, VALID_DATE)

    assert report.failed == []
    assert report.success
    assert report.evaluated == RAW_EXPECTATIONS
    assert report.summary() == f"all {report.evaluated} expectations passed"
    raise_for_failures(report)


def test_out_of_range_value_fails_naming_table_and_column(scratch_url: str) -> None:
    report = validate_raw_landings(scratch_url, OUT_OF_RANGE_DATE)

    assert not report.success
    assert len(report.failed) == 1
    (failure,) = report.failed
    assert failure.startswith(
        "raw_core_banking.loans: expect_column_values_to_be_between column=probability_of_default"
    )
    assert failure.endswith("-> 1 of 2 rows, e.g. 1.500000")


def test_control_total_mismatch_fails(scratch_url: str) -> None:
    report = validate_raw_landings(scratch_url, SHORT_BATCH_DATE)

    assert report.failed == [
        "raw_core_banking.customers: expect_table_row_count_to_equal value=5 -> 4"
    ]
    with pytest.raises(DataQualityError, match=r"^1 of \d+ expectations failed: raw_core_bank"):
        raise_for_failures(report)


def test_missing_batch_log_row_fails_and_empty_batches_pass(scratch_url: str) -> None:
    report = validate_raw_landings(scratch_url, UNLOGGED_DATE)

    assert report.failed == [
        f"raw_crm.surveys: batch log row -> none in raw_meta.load_batches for {UNLOGGED_DATE}"
    ]
    # Every other table has an empty batch and rows_loaded = 0, which passes. The missing
    # control total is counted in place of the row-count expectation it replaces; the
    # two rules against the surveys' extraction window (updated_at, responded_at) need
    # the batch log row and are not built.
    assert report.evaluated == RAW_EXPECTATIONS - 2


def test_marts_pass(scratch_url: str) -> None:
    report = validate_marts(scratch_url, "marts_ok")

    assert report.failed == []
    # dim_customer 1 (not empty), contribution 12 (9 not-null, 3 non-negative), tier 2
    # (percentile range, premium share), customer_360 10 (count, 5 non-negative, 4 shares),
    # facts 1 + 1 + 4 + 1, reconciliation 3 (not empty, lines add up, all lines per month),
    # retention 3 (2 shares, counts add up), lifetime value 2 (retention share, band
    # order). Keys, code lists, required columns and the contribution arithmetic are dbt's.
    assert report.evaluated == 40


def test_a_ledger_line_a_cent_off_fails(scratch_url: str) -> None:
    report = validate_marts(scratch_url, "marts_gl_off")

    assert report.failed == [
        "marts_gl_off.contribution_gl_reconciliation: unexpected_rows_expectation "
        "gl_amount - allocated_amount - unallocated_amount = 0.00 -> 1"
    ]


def test_customer_360_missing_a_customer_fails(scratch_url: str) -> None:
    report = validate_marts(scratch_url, "marts_short_360")

    assert report.failed == [
        "marts_short_360.customer_360: expect_table_row_count_to_equal value=10 -> 9"
    ]


def test_premium_share_above_a_tenth_fails(scratch_url: str) -> None:
    report = validate_marts(scratch_url, "marts_premium_heavy")

    assert report.failed == [
        "marts_premium_heavy.customer_tier_monthly: unexpected_rows_expectation "
        "premium share of customers per month <= 0.1 -> 1"
    ]


def test_retention_above_one_fails(scratch_url: str) -> None:
    report = validate_marts(scratch_url, "marts_retention_above_one")

    assert len(report.failed) == 1
    assert report.failed[0].startswith(
        "marts_retention_above_one.customer_retention_monthly: "
        "expect_column_values_to_be_between column=logo_retention_rate"
    )


def test_lifetime_value_band_out_of_order_fails(scratch_url: str) -> None:
    # p90 value below the estimate for the seven customers with a positive margin;
    # the two with a negative margin (and the one at zero) are not bound by it.
    report = validate_marts(scratch_url, "marts_clv_band_inverted")

    assert report.failed == [
        "marts_clv_band_inverted.customer_lifetime_value: unexpected_rows_expectation "
        "p10 <= estimate <= p90 (rates; values for a positive margin) -> 7"
    ]


def test_building_twice_in_one_context_does_not_fail(scratch_url: str) -> None:
    context = ephemeral_context()
    checks = [
        aggregate(c.name, c.query, c.expectations, POSTGRES) for c in mart_checks("marts_ok", 10)
    ]
    row: dict[str, int] = {}
    with postgres_warehouse(scratch_url) as warehouse:
        for check in checks:
            row |= check.measure(warehouse)
        build_checkpoint(context, warehouse, "marts", checks)
        checkpoint = build_checkpoint(context, warehouse, "marts", checks)

    assert checkpoint.run(batch_parameters={"dataframe": pd.DataFrame([row])}).success
    assert len(context.suites.all()) == len(checks)


def test_schema_name_must_be_a_plain_identifier(scratch_url: str) -> None:
    with pytest.raises(ValueError, match="schema name"):
        validate_marts(scratch_url, "marts; drop table x")


def test_violating_rows_fail_naming_table_column_rule_and_count(scratch_database: str) -> None:
    payment = VALID_BATCH["raw_core_banking.transactions"][0]
    batch = VALID_BATCH | {
        "raw_core_banking.customers": [customer("C001"), customer("C002", status="frozen")],
        "raw_core_banking.transactions": [
            payment | {"transaction_id": 1},
            payment | {"transaction_id": 2, "amount": 0},
        ],
        "raw_core_banking.loans": [loan("A100"), loan("A101", interest_rate=0.35)],
        "raw_erp.gl_postings": [VALID_BATCH["raw_erp.gl_postings"][0] | {"period": "2026-13"}],
    }
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        ensure_raw_tables(conn)
        land(conn, VALID_DATE, batch)

    report = validate_raw_landings(scratch_database, VALID_DATE)

    assert report.failed == [
        "raw_core_banking.customers: expect_column_values_to_be_in_set column=status "
        "value_set=['active', 'dormant', 'closed'] -> 1 of 2 rows, e.g. frozen",
        "raw_core_banking.transactions: expect_column_values_to_be_between column=amount "
        "min_value=0.0 strict_min=True -> 1 of 2 rows, e.g. 0.00",
        "raw_core_banking.loans: expect_column_values_to_be_between column=interest_rate "
        "min_value=0.0 max_value=0.3 -> 1 of 2 rows, e.g. 0.350000",
        "raw_erp.gl_postings: expect_column_values_to_match_regex column=period "
        f"regex={PATTERNS['raw_erp.gl_postings']['period']} -> 1 of 1 rows, e.g. 2026-13",
    ]
    assert report.evaluated == RAW_EXPECTATIONS
    with pytest.raises(DataQualityError, match=r"^4 of \d+ expectations failed: raw_core_bank"):
        raise_for_failures(report)


def test_duplicates_and_nulls_count_rows(scratch_database: str) -> None:
    from great_expectations import expectations as gxe

    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute(
            "create table keys as select * from (values (1, 1), (1, 1), (2, null), (2, null),"
            " (null, null), (3, 3)) as t (a, b)"
        )
    check = Check(
        name="keys",
        query="select * from keys",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["a", "b"]),
            gxe.ExpectColumnValuesToBeUnique(column="a"),
            gxe.ExpectColumnValuesToBeUnique(column="b"),
            gxe.ExpectColumnValuesToNotBeNull(column="b"),
        ],
    )

    report = run_checks(scratch_database, "keys", [check])

    compound, unique_a, unique_b, not_null_b = report.failed
    # (2, NULL) twice is not a duplicate key: a key with a NULL in it is not compared.
    assert compound == (
        "keys: expect_compound_columns_to_be_unique column_list=['a', 'b'] "
        "-> 2 of 6 rows, e.g. (1, 1)"
    )
    assert unique_a.startswith("keys: expect_column_values_to_be_unique column=a -> 4 of 6 rows")
    # Repeated NULLs are not duplicates either.
    assert unique_b == "keys: expect_column_values_to_be_unique column=b -> 2 of 6 rows, e.g. 1"
    assert not_null_b == "keys: expect_column_values_to_not_be_null column=b -> 3 of 6 rows"
    assert report.evaluated == 4


def test_a_check_whose_query_fails_fails_each_expectation(scratch_database: str) -> None:
    from great_expectations import expectations as gxe

    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("create table things as select 1 as a")
    checks = [
        Check("things", "select * from things", [gxe.ExpectColumnValuesToNotBeNull(column="b")]),
        Check("nothing", "select * from nothing", [gxe.ExpectTableRowCountToEqual(value=0)]),
    ]

    report = run_checks(scratch_database, "broken", checks)

    assert not report.success
    assert report.evaluated == 2
    assert report.failed == [
        'things: expect_column_values_to_not_be_null column=b -> error: column "b" does not exist',
        'nothing: expect_table_row_count_to_equal value=0 -> error: relation "nothing" does not '
        "exist",
    ]


def test_a_lost_or_timed_out_connection_is_an_error_not_a_failed_gate(
    scratch_database: str,
) -> None:
    """Infrastructure trouble must raise (and be retried), not fail the data's gate."""
    from great_expectations import expectations as gxe

    # Every statement on the gate's connection is cancelled after 50 ms.
    separator = "&" if "?" in scratch_database else "?"
    timed_out = f"{scratch_database}{separator}options=-c%20statement_timeout%3D50"
    check = Check(
        "slow", "select pg_sleep(5) as a", [gxe.ExpectColumnValuesToNotBeNull(column="a")]
    )

    with pytest.raises(psycopg.errors.QueryCanceled):
        run_checks(timed_out, "slow", [check])


def test_partial_expectations_are_refused() -> None:
    from great_expectations import expectations as gxe

    partial = gxe.ExpectColumnValuesToNotBeNull(column="a", mostly=0.9)
    with pytest.raises(ValueError, match="mostly"):
        aggregate("t", "select 1 as a", [partial], POSTGRES)


def test_rules_name_catalog_columns() -> None:
    columns = {source.raw_table: set(source.column_names) for source in ALL_TABLES}
    for rules in (CODED_COLUMNS, RANGES, PATTERNS):
        for raw_table, by_column in rules.items():
            assert set(by_column) <= columns[raw_table], raw_table


def test_failure_message_is_one_line_with_the_first_three() -> None:
    report = ValidationReport(success=False, evaluated=40, failed=[f"t: e{n}" for n in range(5)])

    with pytest.raises(DataQualityError) as caught:
        raise_for_failures(report)
    assert str(caught.value) == "5 of 40 expectations failed: t: e0; t: e1; t: e2 (+2 more)"
    assert report.summary().splitlines()[0] == "5 of 40 expectations failed:"


def test_importing_the_package_does_not_import_great_expectations() -> None:
    probe = "import sys, expectations; print('great_expectations' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
