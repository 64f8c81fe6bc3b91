"""A failed run is reported task by task: the error's first line and where the log has it."""

from __future__ import annotations

from pathlib import Path

from cvw.runner import DagRunResult, TaskError, parse_task_errors
from cvw.summary import render_failed_run

STAMP = "2026-11-26T04:27:36.697269Z"
# The shape of `airflow dags test` output: a record per line, tracebacks in between.
LOG = f"""\
{STAMP} [info     ] [DAG TEST] starting task_id=extract_core_banking map_index=-1 [dag]
{STAMP} [info     ] [DAG TEST] end task task_id=extract_core_banking map_index=-1 [dag]
{STAMP} [info     ] [DAG TEST] starting task_id=extract_crm map_index=-1 [dag]
{STAMP} [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/dags/customer_value_nightly.py", line 9, in extract_crm
    raise CrmApiError("first attempt")
cvw.extract.crm_client.CrmApiError: CRM API contacts: first attempt
{STAMP} [info     ] [DAG TEST] end task task_id=extract_crm map_index=-1 [dag]
{STAMP} [info     ] [DAG TEST] starting task_id=extract_crm map_index=-1 [dag]
{STAMP} [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/src/cvw/extract/crm_client.py", line 300, in _pages
    raise CrmApiError(
cvw.extract.crm_client.CrmApiError: CRM API contacts: giving up after 5 attempts: ConnectError
{STAMP} [info     ] [DAG TEST] end task task_id=extract_crm map_index=-1 [dag]
{STAMP} [info     ] [DAG TEST] starting task_id=validate_marts map_index=-1 [dag]
Traceback (most recent call last):
  File "/src/cvw/task_failures.py", line 23, in gate_failures_not_retried
    yield
expectations.report.DataQualityError: 1 of 63 expectations failed: tier share

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/src/cvw/task_failures.py", line 27, in gate_failures_not_retried
    raise AirflowFailException(str(error)) from error
airflow.sdk.exceptions.AirflowFailException: 1 of 63 expectations failed: tier share
second line of a long message
{STAMP} [info     ] [DAG TEST] end task task_id=validate_marts map_index=-1 [dag]
{STAMP} [info     ] [DAG TEST] starting task_id=dbt_build.dim_customer_run map_index=-1 [dag]
Traceback (most recent call last):
  File "/cosmos/operators/local.py", line 1, in run
TimeoutError
"""


def test_each_task_keeps_the_last_exception_of_its_last_attempt() -> None:
    errors = parse_task_errors(LOG.splitlines(keepends=True))

    assert errors == {
        # The second attempt's error (line 15), not the first one's (line 8).
        "extract_crm": TaskError(
            "CrmApiError: CRM API contacts: giving up after 5 attempts: ConnectError", 15
        ),
        # The chained exception that failed the task, not its cause.
        "validate_marts": TaskError(
            "AirflowFailException: 1 of 63 expectations failed: tier share", 28
        ),
        "dbt_build.dim_customer_run": TaskError("TimeoutError", 34),
    }


def test_a_retry_that_succeeds_leaves_no_error() -> None:
    retried = LOG.splitlines(keepends=True)[:16] + [
        f"{STAMP} [info     ] [DAG TEST] starting task_id=extract_crm map_index=-1 [dag]\n",
        f"{STAMP} [info     ] [DAG TEST] end task task_id=extract_crm map_index=-1 [dag]\n",
    ]
    assert parse_task_errors(retried) == {}


def test_failed_run_lists_each_failed_task_with_error_and_log_line() -> None:
    log_path = Path("/state/logs/dag_20261101T060000.log")
    task_states = {
        "extract_core_banking": "success",
        "extract_erp": "success",
        "extract_crm": "failed",
        "check_source_freshness": "upstream_failed",
        "validate_raw_landings": "upstream_failed",
        "dbt_build.dbt_producer_watcher": "upstream_failed",
        "dbt_build.dim_customer_run": "skipped",
        "publish": "failed",
    }
    errors = {"extract_crm": TaskError("CrmApiError: CRM API contacts: giving up", 16)}

    text = render_failed_run("failed", task_states, errors, log_path)

    assert text == (
        "The DAG run ended failed: 2 failed tasks\n"
        "  extract_crm\n"
        "    error: CrmApiError: CRM API contacts: giving up\n"
        "    log:   /state/logs/dag_20261101T060000.log, line 16\n"
        "  publish\n"
        "    error: none logged (killed, timed out, or never started)\n"
        "    log:   /state/logs/dag_20261101T060000.log\n"
        "Not run or not finished: 1 skipped, 3 upstream_failed"
    )


def test_run_without_tasks_names_the_log() -> None:
    text = render_failed_run("missing", {}, {}, Path("/state/logs/dag.log"))
    assert text == "The DAG run ended missing with no task recorded; log: /state/logs/dag.log"


def test_run_result_reads_errors_from_its_log(tmp_path: Path) -> None:
    log_path = tmp_path / "dag.log"
    log_path.write_text(LOG)
    result = DagRunResult(state="failed", task_states={"extract_crm": "failed"}, log_path=log_path)

    assert result.task_errors()["extract_crm"].line_number == 15
    missing = DagRunResult(state="failed", task_states={}, log_path=tmp_path / "absent.log")
    assert missing.task_errors() == {}
