"""The dbt project on Apache Spark for two nights, from the shared PostgreSQL run.

After ``first_run`` (tests/conftest.py) has landed and built the small data set
on PostgreSQL, a copy of its warehouse (``warehouse_spark_nights``, with the
same landings and extract watermarks) is copied to Parquet (cvw.lake), and
``dbt build --target spark`` builds every published mart and all it is built
from: night one. Every relation of ``SPARK_RELATIONS`` is read back from Spark
and from what PostgreSQL published, in a canonical form: the parity test
compares them row for row.

The sources then gain the next business day and one transaction posted late
into October (tests/integration/added_activity.py); night two lands only
those, and Spark builds again from its lineage records. PostgreSQL then
builds both nights' landings whole in one go, and the nights test compares
the two engines again.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from cvw import lake, runner
from cvw.config import DBT_NIGHTLY_BUILD_FLAGS, Settings
from cvw.credentials import crm_api_token
from cvw.extract.core_banking import extract_core_banking
from cvw.extract.crm import extract_crm
from cvw.extract.erp import extract_erp
from cvw.roles import LOADER
from cvw.spark import local_session
from cvw_sources.crm_api_process import serving
from cvw_sources.generate.next_day import append_next_day
from tests.integration.added_activity import post_late_transaction, remove_added_activity
from tests.pipeline_run import MOMENT, fresh_warehouse

# Each Spark relation with the PostgreSQL one it must equal (the published
# snapshot and marts: the run's build areas are renamed at publish).
SPARK_RELATIONS: dict[str, str] = {
    **{
        f"staging.{name}": f"staging.{name}"
        for name in (
            "stg_core_banking__accounts",
            "stg_core_banking__balances",
            "stg_core_banking__customers",
            "stg_core_banking__fee_postings",
            "stg_core_banking__loans",
            "stg_core_banking__products",
            "stg_core_banking__transactions",
            "stg_crm__campaign_responses",
            "stg_crm__contacts",
            "stg_crm__interactions",
            "stg_crm__opportunities",
            "stg_crm__relationship_managers",
            "stg_crm__surveys",
            "stg_erp__cost_centers",
            "stg_erp__ftp_rates",
            "stg_erp__gl_postings",
            "stg_erp__invoices",
            "stg_erp__unit_costs",
        )
    },
    "snapshots_build.customer_attributes_snapshot": "snapshots.customer_attributes_snapshot",
    # Every published mart, the deprecated view included.
    **{
        f"marts_build.{name}": f"marts.{name}"
        for name in (
            "contribution_by_branch_monthly",
            "contribution_by_product_family_monthly",
            "contribution_by_rm_monthly",
            "contribution_by_segment_monthly",
            "contribution_concentration",
            "contribution_gl_reconciliation",
            "contribution_rates_monthly",
            "credit_quality_monthly",
            "customer_360",
            "customer_acquisition_cohorts",
            "customer_churn_events",
            "customer_contribution_monthly",
            "customer_lifecycle_monthly",
            "customer_lifetime_value",
            "customer_match_report",
            "customer_retention_monthly",
            "customer_source_links",
            "customer_tier_monthly",
            "dim_account",
            "dim_branch",
            "dim_customer",
            "dim_customer_group",
            "dim_date",
            "dim_product",
            "dim_relationship_manager",
            "fct_account_balance_monthly",
            "fct_customer_contribution_monthly",
            "fct_fee_income",
            "fct_interactions",
            "fct_loan_monthly",
            "fct_opportunities",
            "fct_transactions",
            "group_concentration_monthly",
            "loan_pricing_review_monthly",
            "npl_ratio_monthly",
            "raroc_distribution_monthly",
            "retention_cohorts",
            "rm_scorecard_monthly",
            "tier_migration_monthly",
        )
    },
}
# The relations above and all they are built from, with their tests and the
# seeds those tests read.
SPARK_SELECTOR = "+marts accepted_codes fee_categories"
NEXT_MOMENT = MOMENT + timedelta(days=1)
OCTOBER = date(2026, 10, 1)
# Month tables built on transactions (the late one rebuilds October), as Spark
# names them before a publish.
MONTH_TABLES = (
    "intermediate.int_account_activity_months_costed",
    "marts_build.customer_contribution_monthly",
    "marts_build.customer_tier_monthly",
    "marts_build.contribution_by_product_family_monthly",
)
CLOSED_MONTH_TABLES = (
    "intermediate.int_customer_churn_events_detected",
    "marts_build.customer_retention_monthly",
)
REBUILT_WHOLE = ("staging.stg_core_banking__transactions", "marts_build.fct_transactions")
# Doubles agree to this many decimals on both engines (sums may differ in the last bits).
FLOAT_DECIMALS = 9
CENT = Decimal("0.01")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Relation:
    """One relation's rows in canonical form, its columns and those of PostgreSQL type
    numeric(p, 2), which both engines' values are rounded to the cent in."""

    columns: tuple[str, ...]
    rows: Counter[Row]
    cents: frozenset[str]


@dataclass
class SparkNights:
    """Both engines' relations after each night (keyed by the Spark relation)."""

    # Night one: Spark's build of the shared run's landings, and what PostgreSQL published.
    first_night: dict[str, Relation]
    published: dict[str, Relation]
    # Night two: Spark's build on its lineage records, and PostgreSQL's one build
    # of the same landings.
    second_night: dict[str, Relation]
    postgres_once: dict[str, Relation]
    # After the second night: how each table was last built (its lineage record).
    last_builds: dict[str, str]
    # Per month table, the Parquet files of its months before October, and of
    # October, after the first night and after the second.
    files_before: dict[str, tuple[set[str], set[str]]]
    files_after: dict[str, tuple[set[str], set[str]]]


def spark_nights(test_settings: Settings, admin_url: str) -> SparkNights:
    """Two nights on Spark in a copy of the shared run's warehouse (module docstring)."""
    settings = fresh_warehouse(
        test_settings, admin_url, "warehouse_spark_nights", copy_of_shared_run=True
    )
    # A fresh lake and metastore each test run: nothing from an earlier run is read.
    shutil.rmtree(settings.lake_dir, ignore_errors=True)
    shutil.rmtree(settings.spark_dir, ignore_errors=True)
    lake.export_all(settings.warehouse_url, settings.lake_dir, progress=lambda _: None)
    lake.export_identity_hash_key(settings.warehouse_url, settings.lake_dir)
    spark_build(settings)
    published = {
        relation: postgres_relation(test_settings.warehouse_url, expected)
        for relation, expected in SPARK_RELATIONS.items()
    }
    with local_session(settings) as spark:
        first_night = {
            relation: spark_relation(spark, relation, published[relation])
            for relation in SPARK_RELATIONS
        }
        files_before = {table: _month_files(spark, table) for table in MONTH_TABLES}
    late_id = None
    try:
        with serving(test_settings):
            append_next_day(test_settings.core_banking_url, test_settings.crm_db_path, MOMENT)
            late_id = post_late_transaction(test_settings.core_banking_url)
            _land(settings, test_settings, NEXT_MOMENT)
    finally:
        remove_added_activity(test_settings, late_id)
    spark_build(settings)
    # PostgreSQL builds both nights' landings in one go.
    runner.run_logged(
        runner.dbt_args(settings, "build"),
        settings,
        settings.state_dir / "logs" / "dbt_build_spark_nights_postgres.log",
        cwd=runner.DBT_PROJECT_DIR,
    )
    postgres_once = {
        relation: postgres_relation(settings.warehouse_url, relation)
        for relation in SPARK_RELATIONS
    }
    with local_session(settings) as spark:
        return SparkNights(
            first_night=first_night,
            published=published,
            second_night={
                relation: spark_relation(spark, relation, postgres_once[relation])
                for relation in SPARK_RELATIONS
            },
            postgres_once=postgres_once,
            last_builds={
                table: _last_build(spark, table)
                for table in (*MONTH_TABLES, *CLOSED_MONTH_TABLES, *REBUILT_WHOLE)
            },
            files_before=files_before,
            files_after={table: _month_files(spark, table) for table in MONTH_TABLES},
        )


def _land(settings: Settings, test_settings: Settings, moment: datetime) -> None:
    """One night's extracts into ``settings``' warehouse as the loader, copied to the lake."""
    loader = settings.component_url(LOADER)
    day, quiet = moment.date(), {"progress": lambda _: None}
    extract_core_banking(loader, test_settings.core_banking_url, day, moment, **quiet)
    extract_erp(loader, test_settings.erp_export_dir, day, moment, **quiet)
    extract_crm(
        loader,
        test_settings.crm_api_url,
        crm_api_token(test_settings.state_dir),
        day,
        moment,
        **quiet,
    )
    lake.export_all(settings.warehouse_url, settings.lake_dir, progress=lambda _: None)


def _last_build(spark: Any, table: str) -> str:
    properties = dict(spark.sql(f"show tblproperties {table}").collect())
    return json.loads(properties["cvw.lineage"])["build"]


def _month_files(spark: Any, table: str) -> tuple[set[str], set[str]]:
    from pyspark.sql import functions

    files = (
        spark.table(table)
        .select(functions.col("month"), functions.input_file_name().alias("file"))
        .distinct()
        .collect()
    )
    return (
        {row.file for row in files if row.month < OCTOBER},
        {row.file for row in files if row.month == OCTOBER},
    )


def spark_build(settings: Settings) -> None:
    """``dbt build`` on Spark of the parity relations and all they are built from."""
    log_path = settings.state_dir / "logs" / "dbt_build_spark.log"
    args = [
        *runner.dbt_args(
            settings,
            # Tests of a selected and an unselected model wait for the other's port.
            f"build --target spark --select {SPARK_SELECTOR} --indirect-selection cautious",
            settings.state_dir / "dbt" / "spark_target",
        ),
        *DBT_NIGHTLY_BUILD_FLAGS,
    ]
    runner.run_logged(args, settings, log_path, cwd=runner.DBT_PROJECT_DIR)


def _postgres_columns(conn: psycopg.Connection, relation: str) -> list[tuple[str, str, Any, Any]]:
    """Name, type, precision and scale of each column of ``schema.name``, in order."""
    schema, name = relation.split(".")
    columns = conn.execute(
        "select column_name, data_type, numeric_precision, numeric_scale"
        " from information_schema.columns"
        " where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, name),
    ).fetchall()
    assert columns, f"{relation} does not exist on PostgreSQL"
    return columns


def postgres_relation(url: str, relation: str) -> Relation:
    with psycopg.connect(url) as conn:
        types = _postgres_columns(conn, relation)
        columns = tuple(column for column, _, _, _ in types)
        rows = conn.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    cents = frozenset(c for c, kind, _, scale in types if kind == "numeric" and scale == 2)
    return _relation(columns, rows, cents)


def spark_relation(spark: Any, relation: str, expected: Relation) -> Relation:
    """One relation read from Spark, in PostgreSQL's column order, cents where PG has them."""
    from pyspark.sql import functions

    frame = spark.table(relation)
    columns = [c for c in expected.columns if c in frame.columns] + sorted(
        set(frame.columns) - set(expected.columns)
    )
    # Timestamps as UTC text: collect() would give them in this process's local time.
    selected = [
        functions.date_format(functions.col(c), "yyyy-MM-dd HH:mm:ss.SSSSSS").alias(c)
        if frame.schema[c].dataType.typeName() == "timestamp"
        else functions.col(c)
        for c in columns
    ]
    rows = [tuple(row) for row in frame.select(*selected).collect()]
    return _relation(tuple(columns), rows, expected.cents)


def _relation(columns: tuple[str, ...], rows: list[Row], cents: frozenset[str]) -> Relation:
    in_cents = [column in cents for column in columns]
    return Relation(
        columns=columns,
        rows=Counter(
            tuple(_canonical(value, cent) for value, cent in zip(row, in_cents, strict=True))
            for row in rows
        ),
        cents=cents,
    )


def _canonical(value: Any, cents: bool) -> Any:
    """One value as both engines' drivers can agree on it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return value.quantize(CENT) if cents else value.normalize()
    if isinstance(value, float):
        return round(value, FLOAT_DECIMALS)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def differences(expected: Relation, actual: Relation, limit: int = 5) -> list[str]:
    """What tells ``actual`` from ``expected``: columns, then rows either side lacks."""
    if expected.columns != actual.columns:
        return [f"columns {actual.columns} instead of {expected.columns}"]
    missing = expected.rows - actual.rows
    extra = actual.rows - expected.rows
    found = [f"missing: {row}" for row in sorted(missing, key=repr)[:limit]]
    found += [f"unexpected: {row}" for row in sorted(extra, key=repr)[:limit]]
    if missing or extra:
        found.insert(0, f"{sum(missing.values())} row(s) missing, {sum(extra.values())} unexpected")
    return found
