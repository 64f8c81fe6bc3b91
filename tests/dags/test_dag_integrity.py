"""Every DAG file imports cleanly, quickly, and follows the house rules."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from cvw import runner
from cvw.catalog import ALL_TABLES
from cvw.config import PROJECT_ROOT, airflow_env


@pytest.fixture(scope="module")
def dag_bag(test_settings):
    os.environ.update(airflow_env(test_settings))
    runner.dbt_parse(test_settings)
    from airflow.dag_processing.dagbag import DagBag

    started = time.monotonic()
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    bag.parse_seconds = time.monotonic() - started
    return bag


def test_no_import_errors(dag_bag):
    assert dag_bag.import_errors == {}


def test_nightly_dag_is_loaded_with_one_file_per_dag(dag_bag):
    assert set(dag_bag.dag_ids) == {"customer_value_nightly"}
    for dag_id, dag in dag_bag.dags.items():
        assert os.path.basename(dag.fileloc) == f"{dag_id}.py"


def test_dags_have_tags_docs_and_retries(dag_bag):
    for dag in dag_bag.dags.values():
        assert dag.tags, f"{dag.dag_id} has no tags"
        assert dag.doc_md, f"{dag.dag_id} has no doc_md"
        assert dag.catchup is False
        extract_tasks = [t for t in dag.tasks if t.task_id.startswith("extract_")]
        assert len(extract_tasks) == 3
        assert all(task.retries >= 1 for task in extract_tasks)


def test_dbt_models_are_rendered_between_the_gates(dag_bag):
    dag = dag_bag.dags["customer_value_nightly"]
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_build.")]
    assert any("dim_customer" in t.task_id for t in dbt_tasks)
    publish = dag.get_task("publish")
    assert publish.upstream_task_ids == {"validate_marts"}
    upstream_of_gate = dag.get_task("validate_marts").upstream_task_ids
    assert upstream_of_gate and all(t.startswith("dbt_build.") for t in upstream_of_gate)
    for task in dbt_tasks:
        ancestors = {t.task_id for t in task.get_flat_relatives(upstream=True)}
        assert {"validate_raw_landings", "check_source_freshness"} <= ancestors, task.task_id


def test_finance_pack_is_written_from_the_published_marts(dag_bag):
    dag = dag_bag.dags["customer_value_nightly"]
    assert dag.get_task("write_finance_pack").upstream_task_ids == {"publish"}


def test_each_producing_task_declares_the_schema_it_writes_as_its_asset(dag_bag):
    dag = dag_bag.dags["customer_value_nightly"]
    expected = {
        f"extract_{source.system}": {f"warehouse.{source.raw_table.split('.')[0]}"}
        for source in ALL_TABLES
    }
    expected["publish"] = {"warehouse.marts"}
    for task_id, assets in expected.items():
        assert {outlet.name for outlet in dag.get_task(task_id).outlets} == assets, task_id


def test_dag_folder_parses_well_within_the_import_timeout(dag_bag):
    # Airflow's default import timeout is 30 s; a slow DAG file silently disappears.
    assert dag_bag.parse_seconds < 15


def test_one_dbt_build_runs_before_every_per_model_task(dag_bag):
    """Cosmos' watcher mode: one producer runs `dbt build`; each model's task reports it."""
    dag = dag_bag.dags["customer_value_nightly"]
    producer = "dbt_build.dbt_producer_watcher"
    assert dag.get_task(producer).retries == 0
    reporting = [
        task
        for task in dag.tasks
        if task.task_id.startswith("dbt_build.") and task.task_id != producer
    ]
    assert len(reporting) > 60
    for task in reporting:
        ancestors = {t.task_id for t in task.get_flat_relatives(upstream=True)}
        assert producer in ancestors, task.task_id


def test_every_task_and_the_run_have_a_time_limit(dag_bag):
    """Nothing may wait forever: each task has an execution timeout, the run a run timeout."""
    for dag in dag_bag.dags.values():
        assert dag.dagrun_timeout is not None, f"{dag.dag_id} has no dagrun_timeout"
        longest_task = timedelta(0)
        for task in dag.tasks:
            assert task.execution_timeout is not None, f"{task.task_id} has no execution_timeout"
            assert task.execution_timeout > timedelta(0), task.task_id
            longest_task = max(longest_task, task.execution_timeout)
        # A run limit below one task's own limit would make that limit meaningless.
        assert dag.dagrun_timeout >= longest_task


def test_roles_are_checked_before_anything_is_extracted(dag_bag):
    dag = dag_bag.dags["customer_value_nightly"]
    check = dag.get_task("check_roles")
    assert check.upstream_task_ids == set()
    for task in dag.tasks:
        if task.task_id.startswith("extract_"):
            assert "check_roles" in task.upstream_task_ids, task.task_id


def test_every_task_and_the_run_alert_operators_when_they_fail(dag_bag):
    """A task's own callback is the only one Airflow 3 hands the task's exception."""
    from cvw.alerts import RunFailureNotifier, TaskFailureNotifier

    for dag in dag_bag.dags.values():
        assert isinstance(dag.on_failure_callback, RunFailureNotifier), dag.dag_id
        for task in dag.tasks:
            callbacks = task.on_failure_callback
            callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
            assert any(isinstance(c, TaskFailureNotifier) for c in callbacks), task.task_id
