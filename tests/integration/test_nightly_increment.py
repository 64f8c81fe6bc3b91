"""A night's increment publishes exactly what one full build of the same data publishes.

Two more warehouse databases are built beside the shared run's:
- ``warehouse_nightly`` the way production gets there: the full build the
  morning after the as-of day; then the sources gain the 24 hours of activity
  that follow that run (``cvw_sources.generate.next_day``) and one transaction
  back-dated into October, the last closed month, and the second night lands
  only those and publishes again; then a third night lands one more day of
  the open month only;
- ``warehouse_once``: one build, the second morning, over the second night's sources.
Every published mart must carry the same rows (order-independent checksums of
every table): after the second night as in ``warehouse_once``, after the third
as in a full rebuild of the nightly warehouse's own landings. The second night
rebuilds October in the month tables and the closed-month tables whole; the
third keeps them. The added rows are removed from the sources afterwards, so
later modules see the shared data set unchanged.

The incremental tables are then checked on their own: when a landing they
read is replaced, they must rebuild without the replaced batch's rows.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest

from cvw import runner
from cvw.checksums import table_checksums
from cvw.config import Settings, sibling_database_url
from cvw_sources.crm_api_process import serving
from cvw_sources.generate.next_day import append_next_day
from tests.integration.added_activity import post_late_transaction, remove_added_activity
from tests.integration.frames import scalar
from tests.pipeline_run import fresh_warehouse

from .conftest import MOMENT

pytestmark = pytest.mark.integration

NEXT_MOMENT = MOMENT + timedelta(days=1)
THIRD_MOMENT = MOMENT + timedelta(days=2)
# Month tables built on transactions, which the late one changes, and the others.
MONTH_TABLES_ON_TRANSACTIONS = (
    "intermediate.int_account_activity_months_costed",
    "marts.customer_contribution_monthly",
    "intermediate.int_customer_months_sub_tiered",
    "marts.contribution_by_product_family_monthly",
    "marts.customer_tier_monthly",
    "marts.customer_lifecycle_monthly",
    "marts.tier_migration_monthly",
)
MONTH_TABLES = (
    *MONTH_TABLES_ON_TRANSACTIONS,
    "intermediate.int_account_months_priced",
    "intermediate.int_customer_months_aum",
    "marts.fct_account_balance_monthly",
)
INCREMENTAL_TABLES = (
    "staging.stg_core_banking__transactions",
    "marts.fct_transactions",
    "intermediate.int_customer_churn_events_detected",
    "marts.customer_retention_monthly",
    *MONTH_TABLES,
)
# Delivery lineage, not content: the newest logical date of the batches that
# delivered the matched records differs by construction between one build and
# two nights (the invoices arrived the first night); the report's date is the
# newest of them.
LINEAGE_COLUMNS = {"customer_match_report": {"logical_date", "matched_on"}}


def _run(settings: Settings, moment) -> None:
    run = runner.run_dag(settings, moment, progress=lambda _: None)
    assert run.succeeded, f"failed tasks: {run.failed_tasks()}; {run.log_path}"


@dataclass
class Nights:
    nightly: Settings
    once: Settings
    second_night_marts: dict[str, str]
    third_night_marts: dict[str, str]
    rebuilt_marts: dict[str, str]
    # After the third night: how each incremental table was last built, and
    # how many rows were ever deleted from each month table, against its
    # October rows.
    last_builds: dict[str, str]
    deleted_and_october_rows: dict[str, tuple[int, int]]


def _last_build(url: str, table: str) -> str:
    """How the incremental table was last built, from the record in its comment."""
    return scalar(
        url, f"select obj_description('{table}'::regclass, 'pg_class')::jsonb ->> 'build'"
    )


def _rows_deleted_and_october_rows(url: str, table: str) -> tuple[int, int]:
    """Rows ever deleted from the table (server statistics) and its rows of October."""
    return (
        scalar(url, f"select n_tup_del from pg_stat_user_tables where relid = '{table}'::regclass"),
        scalar(url, f"select count(*) from {table} where month = date '2026-10-01'"),
    )


def _rebuild_marts_whole(settings: Settings, schema: str) -> None:
    """Every model rebuilt from the landings, the marts into ``schema``."""
    subprocess.run(
        [
            *runner.dbt_args(settings, "build --full-refresh"),
            "--vars",
            f"{{marts_schema: {schema}}}",
        ],
        cwd=runner.DBT_PROJECT_DIR,
        env=runner.tool_env(settings),
        check=True,
    )


@pytest.fixture(scope="module")
def nights(first_run, test_settings, pg_admin_url) -> Iterator[Nights]:
    nightly = fresh_warehouse(test_settings, pg_admin_url, "warehouse_nightly")
    once = fresh_warehouse(test_settings, pg_admin_url, "warehouse_once")
    late_id = None
    try:
        with serving(test_settings):
            _run(nightly, MOMENT)
            append_next_day(test_settings.core_banking_url, test_settings.crm_db_path, MOMENT)
            late_id = post_late_transaction(test_settings.core_banking_url)
            _run(nightly, NEXT_MOMENT)
            _run(once, NEXT_MOMENT)
            second_night_marts = table_checksums(nightly.warehouse_url, "marts", LINEAGE_COLUMNS)
            append_next_day(test_settings.core_banking_url, test_settings.crm_db_path, NEXT_MOMENT)
            _run(nightly, THIRD_MOMENT)
            third_night_marts = table_checksums(nightly.warehouse_url, "marts", LINEAGE_COLUMNS)
            last_builds = {
                table: _last_build(nightly.warehouse_url, table) for table in INCREMENTAL_TABLES
            }
            deleted = {
                table: _rows_deleted_and_october_rows(nightly.warehouse_url, table)
                for table in MONTH_TABLES
            }
            _rebuild_marts_whole(nightly, "marts_rebuilt")
            yield Nights(
                nightly=nightly,
                once=once,
                second_night_marts=second_night_marts,
                third_night_marts=third_night_marts,
                rebuilt_marts=table_checksums(
                    nightly.warehouse_url, "marts_rebuilt", LINEAGE_COLUMNS
                ),
                last_builds=last_builds,
                deleted_and_october_rows=deleted,
            )
    finally:
        remove_added_activity(test_settings, late_id)


def test_the_second_night_lands_only_the_added_day(nights, test_settings):
    added = scalar(
        test_settings.core_banking_url,
        "select count(*) from transactions"
        f" where posted_at >= '{MOMENT.isoformat()}' and posted_at < '{NEXT_MOMENT.isoformat()}'",
    )
    late = 1
    landed = scalar(
        nights.nightly.warehouse_url,
        "select rows_loaded from raw_meta.load_batches where table_name = 'transactions'"
        f" and logical_date = '{NEXT_MOMENT.date()}'",
    )
    assert added > 0
    assert landed == added + late


def test_full_build_then_increment_publishes_the_same_marts_as_one_full_build(nights):
    one_build = table_checksums(nights.once.warehouse_url, "marts", LINEAGE_COLUMNS)
    assert len(one_build) >= 30
    assert nights.second_night_marts.keys() == one_build.keys()
    assert (
        sorted(name for name in one_build if one_build[name] != nights.second_night_marts[name])
        == []
    )


def test_a_night_of_the_open_month_publishes_the_same_marts_as_a_rebuild(nights):
    rebuilt = nights.rebuilt_marts
    assert rebuilt.keys() == nights.third_night_marts.keys()
    # The night changed the open month's facts, so the comparison can fail.
    assert rebuilt["fct_transactions"] != nights.second_night_marts["fct_transactions"]
    assert sorted(name for name in rebuilt if rebuilt[name] != nights.third_night_marts[name]) == []


def test_the_nights_merge_into_the_incremental_tables(nights):
    for table in INCREMENTAL_TABLES:
        assert nights.last_builds[table] == "incremental", table
        assert _last_build(nights.once.warehouse_url, table) == "full", table


def test_the_late_transaction_rewrites_october_alone_in_the_month_tables(nights):
    # Each month table was written whole once (a new warehouse), and the marts
    # the later nights started from once more as copies; rows deleted since are
    # the months a night rebuilt. The late transaction makes the tables built on
    # transactions rebuild October, and nothing else touches a closed month.
    for table in MONTH_TABLES:
        deleted, october = nights.deleted_and_october_rows[table]
        expected = october if table in MONTH_TABLES_ON_TRANSACTIONS else 0
        assert october > 0, table
        assert deleted == expected, table


def test_a_replaced_landing_rebuilds_the_incremental_tables_without_its_rows(nights, pg_admin_url):
    nightly = nights.nightly
    # What a rerun of the third night does to its transactions batch: the
    # landing is replaced under a new batch id, here one transaction short.
    admin = sibling_database_url(pg_admin_url, "warehouse_nightly")
    with psycopg.connect(admin) as conn:
        (batch_id,) = conn.execute(
            "select batch_id from raw_meta.load_batches where table_name = 'transactions'"
            " and logical_date = %s",
            (THIRD_MOMENT.date(),),
        ).fetchone()
        (dropped,) = conn.execute(
            "delete from raw_core_banking.transactions where ctid = (select min(ctid)"
            " from raw_core_banking.transactions where _batch_id = %s) returning transaction_id",
            (batch_id,),
        ).fetchone()
        conn.execute(
            "update raw_core_banking.transactions set _batch_id = %s || '.rerun',"
            " _loaded_at = clock_timestamp() where _batch_id = %s",
            (batch_id, batch_id),
        )
        conn.execute(
            "update raw_meta.load_batches set batch_id = batch_id || '.rerun',"
            " started_at = clock_timestamp(), finished_at = clock_timestamp()"
            " where batch_id = %s",
            (batch_id,),
        )
    staged = "staging.stg_core_banking__transactions"
    count_dropped = f"select count(*) from {{}} where transaction_id = {dropped}"
    assert scalar(nightly.warehouse_url, count_dropped.format(staged)) == 1

    subprocess.run(
        runner.dbt_args(nightly, "build --select stg_core_banking__transactions fct_transactions"),
        cwd=runner.DBT_PROJECT_DIR,
        env=runner.tool_env(nightly),
        check=True,
    )

    landed_ids = scalar(
        admin, "select count(distinct transaction_id) from raw_core_banking.transactions"
    )
    for table in (staged, "marts_build.fct_transactions"):
        assert scalar(nightly.warehouse_url, f"select count(*) from {table}") == landed_ids
        assert scalar(nightly.warehouse_url, count_dropped.format(table)) == 0
    # Staging read the replaced batch and starts again. The fact table was
    # built (two publishes ago, in the marts this build started from) before
    # that batch landed, so it merges the new landing.
    assert _last_build(nightly.warehouse_url, staged) == "full"
    assert _last_build(nightly.warehouse_url, "marts_build.fct_transactions") == "incremental"


def test_each_build_reads_a_models_lineage_once(nights, test_settings):
    """The model, its pre-hooks and its post-hook share one reading of the
    batch log per build (incremental_lineage keeps it for the invocation)."""
    readings: Counter[tuple[str, str]] = Counter()
    for log in test_settings.dbt_log_path.glob("dbt.log*"):
        for line in log.read_text().splitlines():
            if "as was_read" in line and '"SQLQuery"' in line:
                event = json.loads(line)
                node = event["data"]["node_info"]["unique_id"]
                readings[(event["info"]["invocation_id"], node)] += 1
    assert readings, f"no lineage query in the dbt logs under {test_settings.dbt_log_path}"
    assert {key: count for key, count in readings.items() if count > 1} == {}
