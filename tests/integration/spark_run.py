"""The dbt project on Apache Spark, from the landings of the shared PostgreSQL run.

After ``first_run`` (tests/conftest.py) has landed and built the small data set
on PostgreSQL, the landings are copied to Parquet (cvw.lake), ``dbt build
--target spark`` builds every published mart and all it is built from,
and every relation of ``SPARK_RELATIONS`` is read back from Spark and from
PostgreSQL in a canonical form: the parity test compares them row for row.
"""

from __future__ import annotations

import math
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from cvw import lake, runner
from cvw.config import DBT_NIGHTLY_BUILD_FLAGS, Settings
from cvw.spark import local_session

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


@dataclass(frozen=True)
class SparkRun:
    spark: dict[str, Relation]
    postgres: dict[str, Relation]


def run_on_spark(settings: Settings) -> Iterator[SparkRun]:
    """Copy the landings, build on Spark, and read back both engines' relations."""
    # A fresh lake and metastore each test run: nothing from an earlier run is read.
    shutil.rmtree(settings.lake_dir, ignore_errors=True)
    shutil.rmtree(settings.spark_dir, ignore_errors=True)
    lake.export_all(settings.warehouse_url, settings.lake_dir, progress=lambda _: None)
    lake.export_identity_hash_key(settings.warehouse_url, settings.lake_dir)
    spark_build(settings)
    postgres = {
        relation: postgres_relation(settings.warehouse_url, relation)
        for relation in SPARK_RELATIONS.values()
    }
    with local_session(settings) as spark:
        spark_relations = {
            relation: spark_relation(spark, relation, postgres[expected])
            for relation, expected in SPARK_RELATIONS.items()
        }
    yield SparkRun(
        spark=spark_relations,
        postgres={relation: postgres[expected] for relation, expected in SPARK_RELATIONS.items()},
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
