"""A second night on Spark builds only what changed and ends where PostgreSQL does.

A warehouse of its own (``warehouse_spark_nights``) lands the shared sources
the morning after the as-of day, the lake copies the landings, and Spark
builds everything whole. The sources then gain the next business day and one
transaction posted late into October (tests/integration/added_activity.py);
the second night lands only those, and Spark builds again from its lineage
records. PostgreSQL then builds the same landings in one go: every relation
of the parity list must be equal, money to the cent.

The second Spark build must have been incremental where Spark can be: the
month tables rewrite October and the open month and keep the partition files
of every earlier month, the closed-month tables build on their record; the
tables Spark overwrites whole (staging, fct_transactions) are rebuilt.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from cvw import lake, runner
from cvw.config import Settings
from cvw.credentials import crm_api_token
from cvw.extract.core_banking import extract_core_banking
from cvw.extract.crm import extract_crm
from cvw.extract.erp import extract_erp
from cvw.roles import LOADER
from cvw.spark import local_session
from cvw_sources.crm_api_process import serving
from cvw_sources.generate.next_day import append_next_day
from tests.integration.added_activity import post_late_transaction, remove_added_activity
from tests.integration.spark_run import (
    SPARK_RELATIONS,
    Relation,
    differences,
    postgres_relation,
    spark_build,
    spark_relation,
)
from tests.pipeline_run import fresh_warehouse

from .conftest import MOMENT

pytestmark = pytest.mark.integration

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


@dataclass
class SparkNights:
    spark: dict[str, Relation]
    postgres: dict[str, Relation]
    # After the second build: how each table was last built (its lineage record).
    last_builds: dict[str, str]
    # Per month table, the Parquet files of its months before October, and of
    # October, after the first build and after the second.
    files_before: dict[str, tuple[set[str], set[str]]]
    files_after: dict[str, tuple[set[str], set[str]]]


def _land(settings: Settings, test_settings: Settings, moment) -> None:
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


@pytest.fixture(scope="module")
def spark_nights(first_run, test_settings, pg_admin_url) -> Iterator[SparkNights]:
    settings = fresh_warehouse(test_settings, pg_admin_url, "warehouse_spark_nights")
    shutil.rmtree(settings.lake_dir, ignore_errors=True)
    shutil.rmtree(settings.spark_dir, ignore_errors=True)
    late_id = None
    try:
        with serving(test_settings):
            _land(settings, test_settings, MOMENT)
            lake.export_identity_hash_key(settings.warehouse_url, settings.lake_dir)
            spark_build(settings)
            with local_session(settings) as spark:
                files_before = {table: _month_files(spark, table) for table in MONTH_TABLES}
            append_next_day(test_settings.core_banking_url, test_settings.crm_db_path, MOMENT)
            late_id = post_late_transaction(test_settings.core_banking_url)
            _land(settings, test_settings, NEXT_MOMENT)
        spark_build(settings)
        # PostgreSQL builds the same landings once.
        runner.run_logged(
            runner.dbt_args(settings, "build"),
            settings,
            settings.state_dir / "logs" / "dbt_build_spark_nights_postgres.log",
            cwd=runner.DBT_PROJECT_DIR,
        )
        postgres = {
            relation: postgres_relation(settings.warehouse_url, relation)
            for relation in SPARK_RELATIONS
        }
        with local_session(settings) as spark:
            yield SparkNights(
                spark={
                    relation: spark_relation(spark, relation, postgres[relation])
                    for relation in SPARK_RELATIONS
                },
                postgres=postgres,
                last_builds={
                    table: _last_build(spark, table)
                    for table in (*MONTH_TABLES, *CLOSED_MONTH_TABLES, *REBUILT_WHOLE)
                },
                files_before=files_before,
                files_after={table: _month_files(spark, table) for table in MONTH_TABLES},
            )
    finally:
        remove_added_activity(test_settings, late_id)


@pytest.mark.parametrize("relation", list(SPARK_RELATIONS))
def test_two_nights_on_spark_equal_one_build_on_postgres(spark_nights, relation):
    expected = spark_nights.postgres[relation]
    assert sum(expected.rows.values()) > 0, f"{relation} is empty on PostgreSQL: nothing compared"
    assert differences(expected, spark_nights.spark[relation]) == []


def test_the_second_night_builds_on_the_lineage_records(spark_nights):
    for table in (*MONTH_TABLES, *CLOSED_MONTH_TABLES):
        assert spark_nights.last_builds[table] == "incremental", table
    for table in REBUILT_WHOLE:
        assert spark_nights.last_builds[table] == "full", table


def test_the_month_tables_rewrite_october_and_keep_every_earlier_month(spark_nights):
    for table in MONTH_TABLES:
        earlier_before, october_before = spark_nights.files_before[table]
        earlier_after, october_after = spark_nights.files_after[table]
        assert earlier_before, f"{table} has no month before October"
        assert earlier_after == earlier_before, table
        assert october_after and october_after.isdisjoint(october_before), table
