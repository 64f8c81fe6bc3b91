"""
### Customer value: nightly build

Extracts the three source systems into the raw landing zone, checks the
landings with Great Expectations and the sources' freshness with dbt, builds
the customer 360, contribution and tier marts with dbt (one Airflow task per
model, rendered by Cosmos from the dbt manifest), checks the built marts, and
only then publishes them to schema `marts` in one transaction. A failed check
stops the run before publish and the last good marts stay served. After each
publish it writes the monthly finance pack (an Excel workbook) from the
published marts, read as the BI reader.

Each extract is incremental (a watermark per table) and idempotent per logical
date: rerunning a date replaces that date's landing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pendulum
from airflow.sdk import Asset, TriggerRule, dag, get_current_context, task
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
)
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from cvw.alerts import RunFailureNotifier, TaskFailureNotifier
from cvw.config import DBT_NIGHTLY_BUILD_FLAGS, load_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
# The build's dbt runs in a process of its own: the one installed beside this
# interpreter (a virtualenv), else the one on PATH (the Docker image's user
# install).
_DBT_BESIDE_PYTHON = Path(sys.executable).with_name("dbt")
DBT_EXECUTABLE = (
    _DBT_BESIDE_PYTHON if _DBT_BESIDE_PYTHON.exists() else Path(shutil.which("dbt") or "dbt")
)

# Every task and the run itself have a time limit, so a stuck source, lock or
# query fails the night with a named task instead of holding it forever.
# Extracts: the benchmark's bank-sized core banking (28.8M rows) took under
# 2 minutes, and the CRM client bounds each request and its pages; an hour
# leaves room for a slow night without letting a hang eat the next one.
EXTRACT_TIMEOUT = pendulum.duration(hours=1)
# The gates run one aggregate query per table: minutes even at bank size.
GATE_TIMEOUT = pendulum.duration(minutes=30)
# Freshness is one dbt invocation over the sources' loaded_at columns.
FRESHNESS_TIMEOUT = pendulum.duration(minutes=15)
# dbt builds every model in one invocation; the reporting tasks wait for it.
DBT_TIMEOUT = pendulum.duration(hours=2)
# Publishing renames two schemas in one transaction; it only waits on readers' locks.
PUBLISH_TIMEOUT = pendulum.duration(minutes=15)
# The finance pack reads a few hundred rollup rows; minutes even at bank size.
FINANCE_PACK_TIMEOUT = pendulum.duration(minutes=15)
# The run starts at 02:00 UTC; six hours covers the longest path above with one
# retry of an extract, and ends a run that cannot finish before the next day's
# work starts (max_active_runs=1 would otherwise hold back the next night).
DAGRUN_TIMEOUT = pendulum.duration(hours=6)

# Where dbt builds and the gates and the publish read (CVW_ENGINE): PostgreSQL,
# or Spark, whose steps each run in a process of their own (cvw.spark).
SETTINGS = load_settings()
ENGINE = SETTINGS.engine

RAW_CORE_BANKING = Asset("warehouse.raw_core_banking")
RAW_ERP = Asset("warehouse.raw_erp")
RAW_CRM = Asset("warehouse.raw_crm")
PUBLISHED_MARTS = Asset("warehouse.marts")


def _moment():
    from cvw.pipeline import RunMoment

    context = get_current_context()
    return RunMoment.of(context["logical_date"] or context["dag_run"].run_after)


@dag(
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=DAGRUN_TIMEOUT,
    doc_md=__doc__,
    tags=["customer_value", "nightly"],
    # Operators are alerted by the channels ALERT_* configure (docs/OPERATIONS.md, "Alerts"):
    # each task that fails for good names itself and its error; the run's own
    # callback covers failures no task reports (the run's time limit).
    on_failure_callback=RunFailureNotifier(),
    default_args={
        "retries": 2,
        "retry_delay": pendulum.duration(minutes=2),
        "on_failure_callback": TaskFailureNotifier(),
    },
)
def customer_value_nightly():
    @task(execution_timeout=GATE_TIMEOUT)
    def check_roles() -> None:
        """Refuse to start when a configured role is missing, instead of failing the publish."""
        from airflow.sdk.exceptions import AirflowFailException

        from cvw.access import missing_roles
        from cvw.config import load_settings
        from cvw.pipeline import TRANSFORMER_CONN_ID, postgres_url

        missing = missing_roles(postgres_url(TRANSFORMER_CONN_ID), load_settings())
        if missing:
            raise AirflowFailException(
                f"role(s) {', '.join(missing)} do not exist on the warehouse server;"
                " create them (cvw db roles-sql) or fix"
                " MARTS_READER_ROLE / MARTS_PII_READER_ROLE"
            )

    @task(outlets=[RAW_CORE_BANKING], execution_timeout=EXTRACT_TIMEOUT)
    def extract_core_banking() -> dict[str, int]:
        from cvw.extract.core_banking import extract_core_banking as extract
        from cvw.lake import export_for_engine
        from cvw.pipeline import CORE_BANKING_CONN_ID, LOADER_CONN_ID, postgres_url

        moment = _moment()
        batches = extract(
            postgres_url(LOADER_CONN_ID),
            postgres_url(CORE_BANKING_CONN_ID),
            moment.logical_date,
            moment.window_end,
        )
        export_for_engine(postgres_url(LOADER_CONN_ID), "core_banking", moment.logical_date)
        return {batch.source.raw_table: batch.rows_loaded for batch in batches}

    @task(outlets=[RAW_ERP], execution_timeout=EXTRACT_TIMEOUT)
    def extract_erp() -> dict[str, int]:
        from cvw.extract.erp import extract_erp as extract
        from cvw.lake import export_for_engine
        from cvw.pipeline import LOADER_CONN_ID, erp_export_dir, postgres_url

        moment = _moment()
        batches = extract(
            postgres_url(LOADER_CONN_ID),
            erp_export_dir(),
            moment.logical_date,
            moment.window_end,
        )
        export_for_engine(postgres_url(LOADER_CONN_ID), "erp", moment.logical_date)
        return {batch.source.raw_table: batch.rows_loaded for batch in batches}

    @task(outlets=[RAW_CRM], execution_timeout=EXTRACT_TIMEOUT)
    def extract_crm() -> dict[str, int]:
        from cvw.extract.crm import extract_crm as extract
        from cvw.lake import export_for_engine
        from cvw.pipeline import (
            CRM_API_CONN_ID,
            LOADER_CONN_ID,
            http_base_url_and_token,
            postgres_url,
        )

        moment = _moment()
        base_url, token = http_base_url_and_token(CRM_API_CONN_ID)
        batches = extract(
            postgres_url(LOADER_CONN_ID),
            base_url,
            token,
            moment.logical_date,
            moment.window_end,
        )
        export_for_engine(postgres_url(LOADER_CONN_ID), "crm", moment.logical_date)
        return {batch.source.raw_table: batch.rows_loaded for batch in batches}

    @task(execution_timeout=GATE_TIMEOUT)
    def validate_raw_landings() -> int:
        from cvw.pipeline import TRANSFORMER_CONN_ID, postgres_url, record_quality_check
        from cvw.task_failures import gate_failures_not_retried
        from expectations import raise_for_failures, validate_raw_landings

        url, logical_date = postgres_url(TRANSFORMER_CONN_ID), _moment().logical_date
        if ENGINE == "spark":
            from cvw.lake import export_identity_hash_key
            from cvw.spark import report_of, run_step

            export_identity_hash_key(url, load_settings().lake_dir)
            report = report_of(run_step("validate-raw", logical_date))
        else:
            report = validate_raw_landings(url, logical_date)
        record_quality_check(url, logical_date, "raw_landings", report)
        print(report.summary())
        with gate_failures_not_retried():
            raise_for_failures(report)
        return report.evaluated

    @task(execution_timeout=FRESHNESS_TIMEOUT)
    def check_source_freshness() -> None:
        from cvw.pipeline import check_source_freshness as check

        check(DBT_PROJECT_DIR, load_settings().dbt_target_path)

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR,
            # Written by `dbt parse` under this installation's state directory.
            manifest_path=SETTINGS.dbt_target_path / "manifest.json",
        ),
        profile_config=ProfileConfig(
            profile_name="customer_value",
            # The engine's output of profiles.yml (CVW_ENGINE, cvw.config.DBT_TARGETS).
            target_name=SETTINGS.dbt_target,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        # A dbt process of its own, not dbtRunner inside the task: in-process,
        # each node's outcome was pushed to Airflow from dbt's own threads,
        # which waited for it. The demo's build took 129 s in the task against
        # 35 s bare; as a subprocess, 35 s (docs/OPERATIONS.md, "Conventions").
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=DBT_EXECUTABLE,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # The producer's one `dbt build` runs every test once, after all of
            # its parents; a test of two models is reported by the test task of
            # each, not by a task of its own (about 100 fewer tasks, each about
            # 0.4 s of task start-up when run one at a time).
            should_detach_multiple_parents_tests=False,
        ),
        operator_args={"install_deps": False, "dbt_cmd_flags": list(DBT_NIGHTLY_BUILD_FLAGS)},
        # No retries: a retried producer would start a second build. The
        # timeout bounds the build and every reporting task, so a run can
        # never wait forever on dbt.
        default_args={"retries": 0, "execution_timeout": DBT_TIMEOUT},
    )
    # The producer runs one `dbt build` for the whole project and publishes each
    # node's outcome; the per-model tasks only report it. Those with no upstream
    # in the group wait for the producer to end, succeeded or failed (a failed
    # build still reports every node), instead of sensing while it runs, so a
    # single-slot executor (`airflow dags test`) can never park a sensor in
    # front of the build it waits for. A producer that never ran (a gate
    # failed) skips them, so nothing waits for a build that will not come.
    producer = dbt_build.get_child_by_label("dbt_producer_watcher")
    for model_task in list(dbt_build.get_roots()):
        if model_task is not producer:
            producer >> model_task
            model_task.trigger_rule = TriggerRule.ONE_DONE

    @task(execution_timeout=GATE_TIMEOUT)
    def validate_marts() -> int:
        from cvw.dbt_vars import marts_build_schema
        from cvw.pipeline import TRANSFORMER_CONN_ID, postgres_url, record_quality_check
        from cvw.task_failures import gate_failures_not_retried
        from expectations import raise_for_failures, validate_marts

        url, logical_date = postgres_url(TRANSFORMER_CONN_ID), _moment().logical_date
        if ENGINE == "spark":
            from cvw.spark import report_of, run_step

            report = report_of(run_step("validate-marts", logical_date))
        else:
            report = validate_marts(url, schema=marts_build_schema())
        record_quality_check(url, logical_date, "marts", report)
        print(report.summary())
        with gate_failures_not_retried():
            raise_for_failures(report)
        return report.evaluated

    @task(outlets=[PUBLISHED_MARTS], execution_timeout=PUBLISH_TIMEOUT)
    def publish() -> dict[str, int]:
        from cvw.pipeline import PUBLISHER_CONN_ID, postgres_url
        from cvw.publish import publish_marts

        url, logical_date = postgres_url(PUBLISHER_CONN_ID), _moment().logical_date
        if ENGINE == "spark":
            from cvw.spark import run_step

            tables: dict[str, int] = run_step("publish", logical_date, publisher_url=url)["tables"]
            return tables
        return publish_marts(url, logical_date).table_row_counts

    @task(execution_timeout=FINANCE_PACK_TIMEOUT)
    def write_finance_pack() -> str:
        """The month's finance workbook from the marts just published; a rerun replaces it."""
        from cvw.config import load_settings
        from cvw.finance_pack import write_finance_pack as write
        from cvw.pipeline import MARTS_READER_CONN_ID, postgres_url

        logical_date = _moment().logical_date
        if ENGINE == "spark":
            from cvw.spark import run_step

            return str(run_step("finance-pack", logical_date)["path"])
        path = load_settings().finance_pack_path(logical_date)
        return str(write(postgres_url(MARTS_READER_CONN_ID), path, logical_date))

    landed = [extract_core_banking(), extract_erp(), extract_crm()]
    check_roles() >> landed
    raw_checked, sources_fresh = validate_raw_landings(), check_source_freshness()
    landed >> raw_checked
    landed >> sources_fresh
    [raw_checked, sources_fresh] >> producer
    dbt_build >> validate_marts() >> publish() >> write_finance_pack()


customer_value_nightly()
