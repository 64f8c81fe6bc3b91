"""Run the nightly DAG without a scheduler, as the demo and the integration tests do.

``airflow dags test`` executes the whole DAG in one process against the
project's own ``AIRFLOW_HOME``; the run's outcome is read back from Airflow's
metadata database, not guessed from the console output.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cvw.config import DBT_NIGHTLY_BUILD_FLAGS, PROJECT_ROOT, Settings, airflow_env

DAG_ID = "customer_value_nightly"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The docs describe the published marts (dbt_project.yml, marts_schema).
DOCS_VARS = ["--vars", "{marts_schema: marts}"]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def tool_env(settings: Settings) -> dict[str, str]:
    for folder in settings.runtime_dirs():
        folder.mkdir(parents=True, exist_ok=True)
    return {**os.environ, **airflow_env(settings)}


def dbt_args(settings: Settings, command: str, target_path: Path | None = None) -> list[str]:
    """A dbt command line for this project that writes only under the state directory."""
    return [
        _bin("dbt"),
        *command.split(),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path or settings.dbt_target_path),
        "--log-path",
        str(settings.dbt_log_path),
        "--quiet",
    ]


def run_logged(
    args: list[str],
    settings: Settings,
    log_path: Path,
    cwd: Path = PROJECT_ROOT,
    env: Mapping[str, str] | None = None,
) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        result = subprocess.run(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else tool_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{' '.join(args[:3])} failed (full log: {log_path}):\n{tail}")


def _dbt(settings: Settings, command: str) -> None:
    run_logged(
        dbt_args(settings, command),
        settings,
        settings.state_dir / "logs" / f"dbt_{command.replace(' ', '_')}.log",
        cwd=DBT_PROJECT_DIR,
    )


def dbt_parse(settings: Settings) -> Path:
    """Write the dbt manifest Cosmos renders the DAG from."""
    _dbt(settings, "parse")
    return settings.dbt_target_path / "manifest.json"


def dbt_run_operation(settings: Settings, macro: str) -> None:
    """Run one macro of the project (``dbt run-operation``) on the engine's target."""
    _dbt(settings, f"run-operation {macro}")


def dbt_docs_generate(settings: Settings) -> Path:
    """Build the dbt docs site of the published marts; the folder it is in.

    The catalog reads the published ``marts``, where a build's ``marts_build``
    is gone once it is published, so the docs describe what BI reads.
    """
    run_logged(
        [*dbt_args(settings, "docs generate", settings.dbt_docs_path), *DOCS_VARS],
        settings,
        settings.state_dir / "logs" / "dbt_docs_generate.log",
        cwd=DBT_PROJECT_DIR,
    )
    return settings.dbt_docs_path


def dbt_build(settings: Settings) -> None:
    """A bare ``dbt build --full-refresh`` outside Airflow, the benchmark's yardstick.

    A full refresh rebuilds the incremental models too, so it does the work of
    a full build in the DAG, which it is compared with.
    """
    run_logged(
        [*dbt_args(settings, "build --full-refresh"), *DBT_NIGHTLY_BUILD_FLAGS],
        settings,
        settings.state_dir / "logs" / "dbt_build.log",
        cwd=DBT_PROJECT_DIR,
    )


def airflow_db_migrate(
    settings: Settings, env: Mapping[str, str] | None = None, log_name: str = "airflow_db_migrate"
) -> None:
    """Create or upgrade Airflow's metadata database; ``env`` replaces ``tool_env``
    for an installation configured apart from the settings (another home or database)."""
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    run_logged(
        [_bin("airflow"), "db", "migrate"],
        settings,
        settings.state_dir / "logs" / f"{log_name}.log",
        env=env,
    )


@dataclass(frozen=True)
class DagRunResult:
    state: str
    task_states: dict[str, str]
    log_path: Path

    @property
    def succeeded(self) -> bool:
        return self.state == "success"

    def failed_tasks(self) -> list[str]:
        return sorted(task for task, state in self.task_states.items() if state != "success")

    def task_errors(self) -> dict[str, TaskError]:
        """Each task's last logged exception, read from the run's console log."""
        if not self.log_path.is_file():
            return {}
        with self.log_path.open(errors="replace") as log:
            return parse_task_errors(log)


@dataclass(frozen=True)
class TaskError:
    """The first line of the exception that ended a task's last attempt, and where it is."""

    message: str
    line_number: int


_TASK_STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT")


def parse_task_errors(lines: Iterable[str]) -> dict[str, TaskError]:
    """The last exception per task in ``airflow dags test`` output.

    Tasks run one at a time there: each starts with a ``[DAG TEST] starting task_id=``
    record, and a failure is logged as a Python traceback whose first unindented line
    is the exception. A chained exception (``raise ... from``) logs several tracebacks;
    the last one is what failed the task, and the last attempt of a retried task wins.
    """
    errors: dict[str, TaskError] = {}
    task_id: str | None = None
    in_traceback = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        started = _TASK_STARTED.search(line)
        if started:
            task_id, in_traceback = started.group(1), False
            errors.pop(task_id, None)
        elif line.startswith("Traceback (most recent call last):"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            in_traceback = False
            if task_id is not None and not _LOG_RECORD.match(line):
                name, colon, message = line.partition(": ")
                # `airflow.sdk.exceptions.AirflowFailException` reads better as its last part.
                short = name.rsplit(".", 1)[-1] if " " not in name else name
                errors[task_id] = TaskError(f"{short}{colon}{message}", number)
    return errors


def run_dag(
    settings: Settings, logical_moment: datetime, progress: Callable[[str], None] = print
) -> DagRunResult:
    """Run the DAG for one logical moment and report its final state and task states."""
    log_path = settings.state_dir / "logs" / f"dag_{logical_moment:%Y%m%dT%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [_bin("airflow"), "dags", "test", DAG_ID, logical_moment.isoformat()]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=tool_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        watcher = _TaskProgress(settings, process, progress)
        watcher.start()
        for line in process.stdout:
            log.write(line)
        process.wait()
        watcher.join()
    state, tasks = _read_run_states(settings, logical_moment)
    return DagRunResult(state=state, task_states=tasks, log_path=log_path)


class _TaskProgress(threading.Thread):
    """Print each task as it finishes, read from Airflow's metadata database."""

    def __init__(
        self, settings: Settings, process: subprocess.Popen[str], progress: Callable[[str], None]
    ) -> None:
        super().__init__(daemon=True)
        self.settings, self.process, self.progress = settings, process, progress
        self.started_at = datetime.now(UTC).isoformat(sep=" ")

    def run(self) -> None:
        reported: set[str] = set()
        while True:
            running = self.process.poll() is None
            for task_id, state in self._finished():
                if task_id not in reported:
                    reported.add(task_id)
                    self.progress(f"    {state:<16} {task_id}")
            if not running:
                return
            time.sleep(1)

    def _finished(self) -> list[tuple[str, str]]:
        try:
            with sqlite3.connect(self.settings.airflow_home / "airflow.db", timeout=1) as conn:
                return conn.execute(
                    "select task_id, state from task_instance where dag_id = ?"
                    " and end_date >= ? and state in"
                    " ('success', 'failed', 'upstream_failed', 'skipped') order by end_date",
                    (DAG_ID, self.started_at),
                ).fetchall()
        except sqlite3.Error:
            return []


def _read_run_states(settings: Settings, logical_moment: datetime) -> tuple[str, dict[str, str]]:
    database = settings.airflow_home / "airflow.db"
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "select run_id, state from dag_run where dag_id = ? order by id desc limit 1",
            (DAG_ID,),
        ).fetchone()
        if row is None:
            return "missing", {}
        run_id, state = row
        tasks = dict(
            conn.execute(
                "select task_id, coalesce(state, 'none') from task_instance"
                " where dag_id = ? and run_id = ?",
                (DAG_ID, run_id),
            ).fetchall()
        )
    return state, tasks
