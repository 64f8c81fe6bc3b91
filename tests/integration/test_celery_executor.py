"""The nightly DAG on a Celery worker publishes what ``airflow dags test`` published.

The layout of docker-compose.yml on this machine: Redis as the broker (its own
port below 32768, a generated password), Airflow's metadata and Celery's
result backend in a database of their own on the test server, and the API
server, scheduler, DAG processor and one Celery worker, each in a process group
of its own. The shared run's logical date is triggered and unpaused, and the
run is watched in the metadata database until it ends or times out.

The run writes to a warehouse database of its own, ``warehouse_celery``, made
the way the shared run's was (a new database, the roles bootstrapped, the same
sources and moment). The shared warehouse is left untouched, so later modules
see the same published marts and publication history, and the two runs start
from the same state: every published mart, row by row, must be the same
(order-independent checksums of every table in ``marts``, with no column left
out). The task instances prove the worker ran the tasks: each one that ran
carries the id of a Celery task that Celery's result backend records as
succeeded.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from cvw import runner
from cvw.celery_worker import CELERY_CONFIG_OPTIONS
from cvw.checksums import table_checksums
from cvw.config import Settings, sibling_database_url
from cvw_demo.airflow_ui import AIRFLOW, airflow_env, start_group, stop_group
from cvw_sources.crm_api_process import serving
from tests.pipeline_run import fresh_warehouse

from .conftest import MOMENT

pytestmark = pytest.mark.integration

RUN_ID = "celery_test"
METADATA_DATABASE = "airflow_celery"
# The small run took 10 to 12 minutes on two cores shared with other work
# (each of its ~210 tasks parses the DAG file again); a hung component fails
# the test long before the DAG's own six-hour limit.
RUN_TIMEOUT_S = 1500.0
START_TIMEOUT_S = 120.0
CELERY_RESULT_TIMEOUT_S = 30.0
WORKER_CONCURRENCY = 4


def _free_port(first: int) -> int:
    """The first port from ``first`` that nothing on the loopback interface listens on.

    Below 32768, outside Linux's ephemeral range, where any outgoing connection
    may hold a port at the moment a server binds it.
    """
    for port in range(first, 32768):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {first} to 32767")


def _sqlalchemy_url(libpq_url: str, scheme: str) -> str:
    """The same server and database for SQLAlchemy: the passfile comes from PGPASSFILE."""
    parts = urlsplit(libpq_url)
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


def _wait_for(condition, what: str, processes: dict[str, subprocess.Popen], timeout_s: float):
    """Poll until ``condition()`` is truthy; fail when a component ends or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        ended = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
        if ended:
            raise AssertionError(f"{ended} ended before {what}")
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _api_server_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/version", timeout=5):
            return True
    except OSError:
        return False


def _redis_up(port: int, password: str) -> bool:
    try:
        return bool(redis.Redis(port=port, password=password, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _one(url: str, query: str, params: tuple = ()):
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


# Airflow's scheduler marks these done itself, without sending them to an executor.
EMPTY_OPERATOR = "EmptyOperator"


def _not_on_celery(metadata_url: str) -> list[str]:
    """Tasks of the run that ran and succeeded without a Celery task recorded as succeeded.

    The scheduler stores the id of the Celery task it sent each task instance
    as (``external_executor_id``); Celery's result backend (``celery_taskmeta``)
    records each task the worker ran.
    """
    with psycopg.connect(metadata_url) as conn:
        rows = conn.execute(
            "select task_instance.task_id from task_instance"
            " left join celery_taskmeta as celery"
            " on celery.task_id = task_instance.external_executor_id"
            " and celery.status = 'SUCCESS'"
            " where dag_id = %s and run_id = %s and state = 'success' and operator <> %s"
            " and celery.task_id is null order by 1",
            (runner.DAG_ID, RUN_ID, EMPTY_OPERATOR),
        ).fetchall()
    return [task_id for (task_id,) in rows]


@dataclass(frozen=True)
class TaskInstances:
    states: dict[str, str]
    # Those that ran (succeeded, not an EmptyOperator), and the queues they went to.
    ran: int
    queues: set[str]
    empty_operators: int


def _task_instances(metadata_url: str) -> TaskInstances:
    with psycopg.connect(metadata_url) as conn:
        rows = conn.execute(
            "select task_id, coalesce(state, 'none'), operator, queue from task_instance"
            " where dag_id = %s and run_id = %s",
            (runner.DAG_ID, RUN_ID),
        ).fetchall()
    ran = [row for row in rows if row[1] == "success" and row[2] != EMPTY_OPERATOR]
    return TaskInstances(
        states={task_id: state for task_id, state, _, _ in rows},
        ran=len(ran),
        queues={queue for _, _, _, queue in ran},
        empty_operators=sum(row[2] == EMPTY_OPERATOR for row in rows),
    )


@dataclass(frozen=True)
class CeleryRun:
    state: str
    task_instances: TaskInstances
    # Tasks that ran without a Celery task the result backend records as succeeded.
    not_on_celery: list[str]
    marts: dict[str, str]
    log_dir: Path


def _start_redis(
    settings: Settings, folder: Path, port: int, password: str, log
) -> subprocess.Popen:
    # The password in a private file, not on a command line the process list shows.
    config = folder / "redis.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndaemonize no\nrequirepass {password}\n"
        f'save ""\nappendonly no\ndir {folder}\n'
    )
    return start_group(["redis-server", str(config)], runner.tool_env(settings), log)


def _celery_env(
    settings: Settings, folder: Path, metadata_url: str, api_port: int, broker_url: str
) -> dict[str, str]:
    home = folder / "airflow"
    return {
        **airflow_env(settings, api_port),
        # Its own home and logs: the shared run's SQLite metadata stays as it was.
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": _sqlalchemy_url(metadata_url, "postgresql+psycopg2"),
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        # Celery's own "db+" prefix selects its SQLAlchemy result backend.
        "AIRFLOW__CELERY__RESULT_BACKEND": _sqlalchemy_url(metadata_url, "db+postgresql+psycopg2"),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
        # As in compose: the worker imports once what each task would import again.
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG_OPTIONS,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        # Signs the tokens the scheduler hands the tasks for the API server.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        # Only the triggered run: unpausing must not start tonight's scheduled one.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        # The DAG file does not change during the test: parsed once, not every
        # 30 s, which would take a core's worth of time from the tasks.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
    }


@pytest.fixture(scope="module")
def celery_run(first_run, test_settings, pg_admin_url) -> Iterator[CeleryRun]:
    assert first_run.succeeded, first_run.failed_tasks()
    folder = test_settings.state_dir / "celery"
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = fresh_warehouse(test_settings, pg_admin_url, "warehouse_celery")
    settings = replace(warehouse, finance_pack_dir=folder / "finance_packs")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{METADATA_DATABASE}" with (force)')
        conn.execute(f'create database "{METADATA_DATABASE}"')
    metadata_url = sibling_database_url(pg_admin_url, METADATA_DATABASE)
    redis_port = _free_port(test_settings.pg_port + 200)
    api_port = _free_port(redis_port + 1)
    redis_password = secrets.token_urlsafe(24)
    env = _celery_env(
        settings,
        folder,
        metadata_url,
        api_port,
        f"redis://:{redis_password}@127.0.0.1:{redis_port}/0",
    )
    runner.airflow_db_migrate(settings, env=env, log_name="airflow_db_migrate_celery")
    log_dir = folder / "logs"
    log_dir.mkdir(exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    try:
        with serving(test_settings):
            with (log_dir / "redis.log").open("wb") as log:
                processes["redis"] = _start_redis(settings, folder, redis_port, redis_password, log)
            _wait_for(
                lambda: _redis_up(redis_port, redis_password), "Redis", processes, START_TIMEOUT_S
            )
            for name, command in (
                ("api-server", ["api-server"]),
                ("scheduler", ["scheduler"]),
                ("dag-processor", ["dag-processor"]),
                # Task logs stay in the worker's log folder: no log server to bind a port.
                ("worker", ["celery", "worker", "--skip-serve-logs"]),
            ):
                with (log_dir / f"{name}.log").open("wb") as log:
                    processes[name] = start_group([AIRFLOW, *command], env, log)
            _wait_for(
                lambda: _api_server_up(api_port), "the API server", processes, START_TIMEOUT_S
            )
            _wait_for(
                lambda: _one(
                    metadata_url, "select 1 from serialized_dag where dag_id = %s", (runner.DAG_ID,)
                ),
                "the DAG processor to store the DAG",
                processes,
                START_TIMEOUT_S,
            )
            for command in (
                ["dags", "unpause", runner.DAG_ID],
                ["dags", "trigger", runner.DAG_ID, "-l", MOMENT.isoformat(), "-r", RUN_ID],
            ):
                done = subprocess.run(
                    [AIRFLOW, *command], env=env, capture_output=True, text=True, timeout=120
                )
                assert done.returncode == 0, f"airflow {' '.join(command)}: {done.stderr[-2000:]}"
            state = _wait_for(
                lambda: _one(
                    metadata_url,
                    "select state from dag_run where dag_id = %s and run_id = %s"
                    " and state in ('success', 'failed')",
                    (runner.DAG_ID, RUN_ID),
                ),
                "the DAG run to end",
                processes,
                RUN_TIMEOUT_S,
            )
            # A task reports its state to Airflow before the worker stores its
            # Celery result: the last tasks' results may still be on their way.
            deadline = time.monotonic() + CELERY_RESULT_TIMEOUT_S
            not_on_celery = _not_on_celery(metadata_url)
            while not_on_celery and time.monotonic() < deadline:
                time.sleep(1)
                not_on_celery = _not_on_celery(metadata_url)
        task_instances = _task_instances(metadata_url)
        marts = table_checksums(settings.warehouse_url, "marts")
    finally:
        for process in reversed(processes.values()):
            stop_group(process)
    yield CeleryRun(state, task_instances, not_on_celery, marts, log_dir)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for database in (METADATA_DATABASE, "warehouse_celery"):
            conn.execute(f'drop database if exists "{database}" with (force)')


def test_the_run_succeeds_with_the_same_task_outcomes_as_dags_test(celery_run, first_run):
    assert celery_run.state == "success", f"logs in {celery_run.log_dir}"
    assert celery_run.task_instances.states == first_run.task_states


def test_every_task_that_ran_ran_on_the_celery_worker(celery_run, first_run):
    tasks = celery_run.task_instances
    # Every task ran but Cosmos' EmptyOperators (ephemeral models, the build's end marker).
    assert tasks.ran > 100
    assert tasks.ran + tasks.empty_operators == len(first_run.task_states)
    assert celery_run.not_on_celery == []
    assert tasks.queues == {"default"}


def test_the_celery_run_publishes_the_same_marts_as_dags_test(celery_run, test_settings):
    published = table_checksums(test_settings.warehouse_url, "marts")
    assert len(published) >= 30
    assert celery_run.marts.keys() == published.keys()
    assert sorted(name for name in published if celery_run.marts[name] != published[name]) == []
