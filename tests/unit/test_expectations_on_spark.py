"""The data-quality gates on Spark report what they report on PostgreSQL.

Each case puts the same rows in PostgreSQL and in a local Spark session's catalog
(Parquet tables partitioned by ``_logical_date``, as the Spark landings are), runs
the gate on both engines and compares both reports with failure lines written out
by hand from the rows. The Spark session is shared by the whole test session
(``spark`` in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import psycopg
import pytest

from cvw.config import sibling_database_url
from cvw.dbt_vars import marts_build_schema
from cvw.landing import ensure_raw_tables
from expectations import (
    validate_marts,
    validate_marts_on_spark,
    validate_raw_landings,
    validate_raw_landings_on_spark,
)
from expectations.dialect import POSTGRES, SPARK
from expectations.raw_landings import BLANK, PATTERNS
from expectations.runner import Check, run_checks, run_spark_checks
from tests.mart_tables import build_marts, copy_marts_to_spark
from tests.raw_batches import (
    RAW_EXPECTATIONS,
    RESTATED_AT,
    VALID_BATCH,
    Landing,
    customer,
    land,
    land_on_spark,
    loan,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SCRATCH_DB = "gx_spark_scratch"
VALID_DATE = date(2026, 10, 31)
FAULTY_DATE = date(2026, 11, 1)
PAYMENT = VALID_BATCH["raw_core_banking.transactions"][0]
GL_POSTING = VALID_BATCH["raw_erp.gl_postings"][0]
LANDINGS = [
    Landing(VALID_DATE, VALID_BATCH),
    Landing(
        FAULTY_DATE,
        {
            "raw_core_banking.customers": [
                # C001 again with its change timestamp of the valid night and a new status.
                customer("C001", status="frozen"),
                # C002 twice in the batch with two contents.
                customer("C002", updated_at=RESTATED_AT),
                customer("C002", segment="affluent", updated_at=RESTATED_AT),
                customer("C003", updated_at=RESTATED_AT),
            ],
            "raw_core_banking.transactions": [PAYMENT | {"transaction_id": 3, "amount": 0}],
            "raw_core_banking.loans": [
                loan("A100", probability_of_default=1.5, updated_at=RESTATED_AT),
                loan("A101", updated_at=RESTATED_AT),
            ],
            "raw_erp.gl_postings": [
                GL_POSTING | {"posting_id": "GL2", "cost_center_id": "  ", "period": "2026-13"}
            ],
        },
        # Four customers landed, five logged.
        rows_loaded={"raw_core_banking.customers": 5},
        unlogged=("raw_crm.surveys",),
    ),
]
FAULTY_FAILURES = [
    f"raw_crm.surveys: batch log row -> none in raw_meta.load_batches for {FAULTY_DATE}",
    "raw_core_banking.customers: unexpected_rows_expectation "
    "customer_id: one content per key in a batch -> 1",
    "raw_core_banking.customers: unexpected_rows_expectation "
    "customer_id: one content per key and updated_at across batches -> 1",
    "raw_core_banking.customers: expect_column_values_to_be_in_set column=status "
    "value_set=['active', 'dormant', 'closed'] -> 1 of 4 rows, e.g. frozen",
    "raw_core_banking.customers: expect_table_row_count_to_equal value=5 -> 4",
    "raw_core_banking.transactions: expect_column_values_to_be_between column=amount "
    "min_value=0.0 strict_min=True -> 1 of 1 rows, e.g. 0.00",
    "raw_core_banking.loans: expect_column_values_to_be_between "
    "column=probability_of_default min_value=0.0 max_value=1.0 -> 1 of 2 rows, e.g. 1.500000",
    "raw_erp.gl_postings: expect_column_values_to_not_match_regex column=cost_center_id "
    f"regex={BLANK} -> 1 of 1 rows, e.g.   ",
    "raw_erp.gl_postings: expect_column_values_to_match_regex column=period "
    f"regex={PATTERNS['raw_erp.gl_postings']['period']} -> 1 of 1 rows, e.g. 2026-13",
]


@pytest.fixture(scope="module")
def landed(pg_admin_url: str, spark: SparkSession) -> Iterator[str]:
    """The landings, and marts with a ledger line a cent off in the marts build schema,
    in a scratch PostgreSQL database (its URL) and in ``spark``'s catalog."""
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
            for landing in LANDINGS:
                land(
                    conn,
                    landing.logical_date,
                    landing.batch,
                    rows_loaded=landing.rows_loaded,
                    unlogged=landing.unlogged,
                )
            build_marts(conn, marts_build_schema(), gl_error=0.01)
            copy_marts_to_spark(conn, marts_build_schema(), spark)
        land_on_spark(spark, LANDINGS)
        yield url
        spark.sql(f"drop database if exists {marts_build_schema()} cascade")
        admin.execute(f"drop database if exists {SCRATCH_DB} with (force)")


def test_a_valid_batch_passes_on_both_engines(landed: str, spark: SparkSession) -> None:
    on_postgres = validate_raw_landings(landed, VALID_DATE)
    on_spark = validate_raw_landings_on_spark(spark, VALID_DATE)

    assert on_postgres.failed == on_spark.failed == []
    assert on_postgres.success and on_spark.success
    assert on_postgres.evaluated == on_spark.evaluated == RAW_EXPECTATIONS


def test_a_faulty_batch_fails_with_the_same_lines_on_both_engines(
    landed: str, spark: SparkSession
) -> None:
    on_postgres = validate_raw_landings(landed, FAULTY_DATE)
    on_spark = validate_raw_landings_on_spark(spark, FAULTY_DATE)

    assert on_postgres.failed == FAULTY_FAILURES
    assert on_spark.failed == FAULTY_FAILURES
    assert not on_postgres.success and not on_spark.success
    # The surveys' two rules against the extraction window need the missing log row.
    assert on_postgres.evaluated == on_spark.evaluated == RAW_EXPECTATIONS - 2


def test_marts_a_ledger_line_a_cent_off_fails_the_same_on_both_engines(
    landed: str, spark: SparkSession
) -> None:
    on_postgres = validate_marts(landed)
    on_spark = validate_marts_on_spark(spark)

    expected = [
        f"{marts_build_schema()}.contribution_gl_reconciliation: unexpected_rows_expectation "
        "gl_amount - allocated_amount - unallocated_amount = 0.00 -> 1"
    ]
    assert on_postgres.failed == expected
    assert on_spark.failed == expected
    # The other 39 of the marts' 40 expectations pass (see test_expectations.py).
    assert on_postgres.evaluated == on_spark.evaluated == 40


CODES_ROWS = [
    (1, 1, "x", Decimal("0.50")),
    (1, 1, "y", Decimal("0.20")),
    (2, None, "x", Decimal("1.50")),
    (4, None, "x1", Decimal("0.00")),
    (None, 7, "x", Decimal("0.10")),
    (3, 3, "x", Decimal("0.30")),
]


def codes_check() -> Check:
    from great_expectations import expectations as gxe

    return Check(
        name="codes",
        query="select * from codes",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="a"),
            gxe.ExpectColumnValuesToBeUnique(column="a"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["a", "b"]),
            gxe.ExpectColumnValuesToNotBeNull(column="b"),
            gxe.ExpectColumnValuesToBeInSet(column="code", value_set=["x", "x1"]),
            gxe.ExpectColumnValuesToBeBetween(column="rate", min_value=0, max_value=1),
            # Backslashes reach each engine's regex intact: a lost one would make
            # these "d" and "^w+$", and the rules would fail other rows.
            gxe.ExpectColumnValuesToNotMatchRegex(column="code", regex=r"\d"),
            gxe.ExpectColumnValuesToMatchRegex(column="code", regex=r"^\w+$"),
            gxe.ExpectTableRowCountToEqual(value=5),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query="select a from {batch} where rate > 0.4",
                description="rate at most 0.4",
            ),
        ],
    )


def test_key_code_range_and_count_rules_count_the_same_rows_on_both_engines(
    scratch_database: str, spark: SparkSession
) -> None:
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        conn.execute("create table codes (a integer, b integer, code text, rate numeric(3,2))")
        with conn.cursor() as cursor:
            cursor.executemany("insert into codes values (%s, %s, %s, %s)", CODES_ROWS)
    spark.createDataFrame(
        CODES_ROWS, "a int, b int, code string, rate decimal(3,2)"
    ).createOrReplaceTempView("codes")

    on_postgres = run_checks(scratch_database, "codes", [codes_check()])
    on_spark = run_spark_checks(spark, "codes", [codes_check()])

    expected = [
        # The NULL key of the fifth row.
        "codes: expect_column_values_to_not_be_null column=a -> 1 of 6 rows",
        # a = 1 twice; a NULL is no duplicate.
        "codes: expect_column_values_to_be_unique column=a -> 2 of 6 rows, e.g. 1",
        # (1, 1) twice; (2, NULL) and (4, NULL) have a NULL in the key and are not compared.
        "codes: expect_compound_columns_to_be_unique column_list=['a', 'b'] "
        "-> 2 of 6 rows, e.g. (1, 1)",
        "codes: expect_column_values_to_not_be_null column=b -> 2 of 6 rows",
        "codes: expect_column_values_to_be_in_set column=code value_set=['x', 'x1'] "
        "-> 1 of 6 rows, e.g. y",
        "codes: expect_column_values_to_be_between column=rate min_value=0.0 max_value=1.0 "
        "-> 1 of 6 rows, e.g. 1.50",
        r"codes: expect_column_values_to_not_match_regex column=code regex=\d "
        "-> 1 of 6 rows, e.g. x1",
        # Six rows where five were expected.
        "codes: expect_table_row_count_to_equal value=5 -> 6",
        # 0.50 and 1.50.
        "codes: unexpected_rows_expectation rate at most 0.4 -> 2",
    ]
    assert on_postgres.failed == expected
    assert on_spark.failed == expected
    assert on_postgres.evaluated == on_spark.evaluated == 10


def test_a_check_whose_spark_query_fails_fails_each_expectation(spark: SparkSession) -> None:
    from great_expectations import expectations as gxe

    spark.sql("select 1 as a").createOrReplaceTempView("things")
    checks = [
        Check("things", "select * from things", [gxe.ExpectColumnValuesToNotBeNull(column="b")]),
        Check(
            "nothing",
            "select * from no_such_database.nothing",
            [gxe.ExpectTableRowCountToEqual(value=0)],
        ),
        # A value the query cannot cast (a data exception, as on PostgreSQL).
        Check(
            "casts", "select cast('x' as int) as n", [gxe.ExpectColumnValuesToNotBeNull(column="n")]
        ),
    ]

    report = run_spark_checks(spark, "broken", checks)

    assert not report.success
    assert report.evaluated == 3
    things, nothing, casts = report.failed
    assert things.startswith(
        "things: expect_column_values_to_not_be_null column=b -> error: [UNRESOLVED_COLUMN"
    )
    assert nothing.startswith(
        "nothing: expect_table_row_count_to_equal value=0 -> error: [TABLE_OR_VIEW_NOT_FOUND]"
    )
    assert casts.startswith(
        "casts: expect_column_values_to_not_be_null column=n -> error: [CAST_INVALID_INPUT]"
    )


def test_a_failing_metastore_fails_the_task_not_the_gate(landed: str, spark: SparkSession) -> None:
    """Infrastructure trouble must raise (and be retried), not fail the data's gate."""
    from pyspark.errors import AnalysisException

    # Without the fallback the Derby metastore fails to filter the raw tables' partitions.
    fallback = "spark.sql.hive.metastorePartitionPruningFallbackOnException"
    spark.conf.set(fallback, "false")
    try:
        with pytest.raises(AnalysisException, match="HIVE_METASTORE_PARTITION_FILTER"):
            validate_raw_landings_on_spark(spark, VALID_DATE)
    finally:
        spark.conf.set(fallback, "true")


def test_the_dialects_write_only_identifiers_literals_regex_and_rows_differently() -> None:
    assert POSTGRES.identifier("rate") == '"rate"'
    assert SPARK.identifier("odd`name") == "`odd``name`"
    # Spark reads a backslash in a literal as an escape, PostgreSQL (standard strings) not.
    assert POSTGRES.literal(r"it's \s") == r" E'it''s \\s'"
    assert SPARK.literal(r"it's \s") == r"'it\'s \\s'"
    assert POSTGRES.matches("code", "^x$") == "code ~ '^x$'"
    assert SPARK.matches("code", "^x$") == "code rlike '^x$'"
    assert POSTGRES.row(["a", "b"]) == "row(a, b)"
    assert SPARK.row(["a", "b"]) == "struct(a, b)"
    moment = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert POSTGRES.literal(moment) == "'2026-11-01 02:00:00+00:00'::timestamptz"
    assert SPARK.literal(moment) == "timestamp '2026-11-01 02:00:00+00:00'"
    assert SPARK.literal(date(2026, 11, 1)) == "date '2026-11-01'"
    # Numbers stay exact decimal literals in both; a bool is no number.
    assert POSTGRES.literal(0.3) == SPARK.literal(0.3) == "0.3"
    assert SPARK.literal(True) == "true"
