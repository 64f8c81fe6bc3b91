"""A night's increment publishes exactly what one full build of the same data publishes.

Two more warehouse databases are built beside the shared run's:
- ``warehouse_nightly`` the way production gets there: the full build the
  morning after the as-of day, then the sources gain the 24 hours of activity
  that follow that run (``cvw.generate.next_day``) and the next night's run
  lands only those and publishes again;
- ``warehouse_once``: one build, the second morning, over the same final sources.
Every published mart must carry the same rows (order-independent checksums of
every table). The added day is removed from the sources afterwards, so later
modules see the shared data set unchanged.

The incremental tables are then checked on their own: when a landing they
read is replaced, they must rebuild without the replaced batch's rows.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest

from cvw import runner
from cvw.access import bootstrap
from cvw.checksums import table_checksums
from cvw.config import Settings, sibling_database_url
from cvw.generate.next_day import append_next_day
from tests.integration.frames import scalar

from .conftest import CRM_CLI, MOMENT

pytestmark = pytest.mark.integration

NEXT_MOMENT = MOMENT + timedelta(days=1)
# Delivery lineage, not content: the newest logical date of the batches that
# delivered the matched records differs by construction between one build and
# two nights (the invoices arrived the first night).
LINEAGE_COLUMNS = {"customer_match_report": {"logical_date"}}


def _fresh_warehouse(test_settings: Settings, admin_url: str, name: str) -> Settings:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    settings = replace(
        test_settings, warehouse_url=sibling_database_url(test_settings.warehouse_url, name)
    )
    bootstrap(settings)
    return settings


def _run(settings: Settings, moment) -> None:
    run = runner.run_dag(settings, moment, progress=lambda _: None)
    assert run.succeeded, f"failed tasks: {run.failed_tasks()}; {run.log_path}"


@pytest.fixture(scope="module")
def builds(first_run, test_settings, pg_admin_url) -> Iterator[tuple[Settings, Settings]]:
    nightly = _fresh_warehouse(test_settings, pg_admin_url, "warehouse_nightly")
    once = _fresh_warehouse(test_settings, pg_admin_url, "warehouse_once")
    subprocess.run([*CRM_CLI, "start"], check=True)
    try:
        _run(nightly, MOMENT)
        append_next_day(test_settings.core_banking_url, test_settings.crm_db_path, MOMENT)
        _run(nightly, NEXT_MOMENT)
        _run(once, NEXT_MOMENT)
        yield nightly, once
    finally:
        subprocess.run([*CRM_CLI, "stop"], check=False)
        with psycopg.connect(test_settings.core_banking_url) as conn:
            conn.execute("delete from transactions where posted_at >= %s", (MOMENT,))
            conn.execute("delete from fee_postings where updated_at >= %s", (MOMENT,))
        with sqlite3.connect(test_settings.crm_db_path) as crm:
            crm.execute(
                "delete from interactions where occurred_at >= ?",
                (MOMENT.strftime("%Y-%m-%dT%H:%M:%S+00:00"),),
            )


def test_the_second_night_lands_only_the_added_day(builds, test_settings):
    nightly, _ = builds
    added = scalar(
        test_settings.core_banking_url,
        f"select count(*) from transactions where posted_at >= '{MOMENT.isoformat()}'",
    )
    landed = scalar(
        nightly.warehouse_url,
        "select rows_loaded from raw_meta.load_batches where table_name = 'transactions'"
        f" and logical_date = '{NEXT_MOMENT.date()}'",
    )
    assert added > 0
    assert landed == added


def test_full_build_then_increment_publishes_the_same_marts_as_one_full_build(builds):
    nightly, once = builds
    two_nights = table_checksums(nightly.warehouse_url, "marts", LINEAGE_COLUMNS)
    one_build = table_checksums(once.warehouse_url, "marts", LINEAGE_COLUMNS)
    assert len(one_build) >= 30
    assert two_nights.keys() == one_build.keys()
    assert sorted(name for name in one_build if one_build[name] != two_nights[name]) == []


def _last_build(url: str, table: str) -> str:
    """How the incremental table was last built, from the record in its comment."""
    return scalar(
        url, f"select obj_description('{table}'::regclass, 'pg_class')::jsonb ->> 'build'"
    )


def test_the_second_night_merges_into_the_incremental_tables(builds):
    nightly, once = builds
    for table in ("staging.stg_core_banking__transactions", "marts.fct_transactions"):
        assert _last_build(nightly.warehouse_url, table) == "incremental"
        assert _last_build(once.warehouse_url, table) == "full"


def test_a_replaced_landing_rebuilds_the_incremental_tables_without_its_rows(builds, pg_admin_url):
    nightly, _ = builds
    # What a rerun of the second night does to its transactions batch: the
    # landing is replaced under a new batch id, here one transaction short.
    admin = sibling_database_url(pg_admin_url, "warehouse_nightly")
    with psycopg.connect(admin) as conn:
        (batch_id,) = conn.execute(
            "select batch_id from raw_meta.load_batches where table_name = 'transactions'"
            " and logical_date = %s",
            (NEXT_MOMENT.date(),),
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
