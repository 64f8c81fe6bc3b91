"""A failed or killed run leaves nothing that a later run publishes.

Against the shared run's warehouse: a dbt build killed right after its snapshot
step recorded a new customer version, a build cut off by a PostgreSQL restart,
and an extract killed inside a table's landing. Each leaves the published marts
and the published snapshot history as they were; a clean run of the same
logical date afterwards publishes exactly what the clean run alone published
(order-independent checksums of every table in ``marts`` and ``snapshots``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg
import pytest

from cvw import runner
from cvw.checksums import table_checksums
from cvw_demo import embedded_pg
from cvw_sources.crm_api_process import serving

from .conftest import MOMENT

pytestmark = pytest.mark.integration


def _one(url: str, query: str, params: tuple = (), row: bool = False):
    """The first row (or its first column) of one query; None when it returns no row."""
    with psycopg.connect(url) as conn:
        result = conn.execute(query, params).fetchone()
    return result if row or result is None else result[0]


def _published(url: str) -> dict[str, dict[str, str]]:
    return {schema: table_checksums(url, schema) for schema in ("marts", "snapshots")}


@pytest.fixture(scope="module")
def reference(first_run, test_settings) -> dict[str, dict[str, str]]:
    """What the clean run alone published (earlier modules leave the data set as they found it)."""
    assert first_run.succeeded, first_run.failed_tasks()
    published = _published(test_settings.warehouse_url)
    assert published["marts"] and published["snapshots"]
    return published


def _start_dbt_build(test_settings) -> subprocess.Popen:
    return subprocess.Popen(
        runner.dbt_args(test_settings, "build"),
        cwd=runner.DBT_PROJECT_DIR,
        env=runner.tool_env(test_settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for(condition, what: str, process: subprocess.Popen, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        if process.poll() is not None:
            raise AssertionError(f"the process ended (exit {process.returncode}) before {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _snapshot_versions(url: str, customer_id: str) -> int:
    with psycopg.connect(url) as conn:
        exists = conn.execute(
            "select to_regclass('snapshots_build.customer_attributes_snapshot') is not null"
        ).fetchone()[0]
        if not exists:
            return 0
        return conn.execute(
            "select count(*) from snapshots_build.customer_attributes_snapshot"
            " where customer_id = %s",
            (customer_id,),
        ).fetchone()[0]


def test_a_build_killed_after_its_snapshot_step_adds_no_published_version(reference, test_settings):
    warehouse = test_settings.warehouse_url
    customer_id = _one(warehouse, "select min(customer_id) from raw_core_banking.customers")
    published_versions = _one(
        warehouse,
        "select count(*) from snapshots.customer_attributes_snapshot where customer_id = %s",
        (customer_id,),
    )
    # A new version of the customer dated a month ahead, landed under the shared
    # run's logical date: the clean rerun below replaces that date's batch.
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "create temporary table late_version as select * from raw_core_banking.customers"
            " where customer_id = %s order by updated_at desc limit 1",
            (customer_id,),
        )
        conn.execute(
            "update late_version set updated_at = %s, credit_rating = 'CCC'",
            (MOMENT + timedelta(days=30),),
        )
        conn.execute("insert into raw_core_banking.customers select * from late_version")
        # The batch now holds a row it did not hold when the tables were built
        # from it: record it as landed again, as a replaced landing would be.
        conn.execute(
            "update raw_meta.load_batches set started_at = clock_timestamp(),"
            " finished_at = clock_timestamp()"
            " where batch_id = (select _batch_id from late_version)"
        )
    build = _start_dbt_build(test_settings)
    try:
        _wait_for(
            lambda: _snapshot_versions(warehouse, customer_id) > published_versions,
            "the snapshot recorded the new version",
            build,
        )
    finally:
        _kill(build)
    assert _published(warehouse) == reference


def test_a_server_restart_during_a_build_fails_it_and_publishes_nothing(reference, test_settings):
    if not test_settings.embedded:
        pytest.skip("restarts the embedded server only")
    warehouse = test_settings.warehouse_url
    build = _start_dbt_build(test_settings)
    _wait_for(
        lambda: _one(
            warehouse,
            # dbt's own sessions only: an autovacuum worker is active too, and
            # restarting before dbt connects would let the build succeed.
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and backend_type = 'client backend' and application_name = 'dbt'"
            " and state = 'active'",
        ),
        "the build ran its first query",
        build,
    )
    embedded_pg.stop(test_settings)
    embedded_pg.start(test_settings)
    assert build.wait(timeout=900) != 0
    assert _published(warehouse) == reference


def test_an_extract_killed_inside_a_landing_leaves_that_batch_as_it_was(reference, test_settings):
    warehouse = test_settings.warehouse_url
    batch_of = (
        "select batch_id, rows_loaded from raw_meta.load_batches where source_system ="
        " 'core_banking' and table_name = 'balances' and logical_date = %s"
    )
    batch_before = _one(warehouse, batch_of, (MOMENT.date(),), row=True)
    rows_before = _one(warehouse, "select count(*) from raw_core_banking.balances")
    extract_code = (
        "import sys; from datetime import datetime; from cvw.extract.core_banking import"
        " extract_core_banking; moment = datetime.fromisoformat(sys.argv[3]);"
        " extract_core_banking(sys.argv[1], sys.argv[2], moment.date(), moment)"
    )
    with psycopg.connect(warehouse) as blocker:
        # A lock the landing of `balances` has to wait for, after customers,
        # products and accounts were landed again: the kill lands mid-extract.
        blocker.execute("lock table raw_core_banking.balances in share mode")
        extract = subprocess.Popen(
            [
                sys.executable, "-c", extract_code,
                warehouse, test_settings.core_banking_url, MOMENT.isoformat(),
            ],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for(
                lambda: _one(
                    warehouse,
                    "select pid from pg_stat_activity where wait_event_type = 'Lock'"
                    " and datname = current_database()",
                ),
                "the extract waited on the landing",
                extract,
            )
            backend = _one(
                warehouse,
                "select pid from pg_stat_activity where wait_event_type = 'Lock'"
                " and datname = current_database()",
            )
        finally:
            _kill(extract)
        blocker.rollback()
    deadline = time.monotonic() + 60
    while _one(warehouse, "select count(*) from pg_stat_activity where pid = %s", (backend,)):
        assert time.monotonic() < deadline, "the killed extract's backend is still running"
        time.sleep(0.2)
    assert _one(warehouse, batch_of, (MOMENT.date(),), row=True) == batch_before
    assert _one(warehouse, "select count(*) from raw_core_banking.balances") == rows_before
    assert _published(warehouse) == reference


def test_a_clean_run_after_the_faults_publishes_what_the_clean_run_alone_published(
    reference, test_settings
):
    with serving(test_settings):
        rerun = runner.run_dag(test_settings, MOMENT, progress=lambda _: None)
    assert rerun.succeeded, f"failed tasks: {rerun.failed_tasks()}; {rerun.log_path}"
    assert _published(test_settings.warehouse_url) == reference
