"""Measure the CPU each Celery task spends before it runs: plugins, DagBag, the DAG file.

Usage: eval "$(python -m cvw.config)"; python scripts/dag_parse_cost.py [--preload] [--runs 5]
Needs the dbt manifest the DAG renders from (`dbt parse`, cvw.runner.dbt_parse).

A Celery worker runs each task in a process it forks, which inherits what the
worker had imported, then loads Airflow's plugins (the task's listeners) and
parses the DAG file again. Each run here is a fresh interpreter that first
imports what a worker holds before it forks (Airflow, its Celery provider and
task supervisor; with --preload also cvw.celery_preload, as a worker configured
with cvw.celery_worker does), then measures, in CPU seconds (user + system, not
wall time: the machine is shared), each step of what a task process does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

DAG_FILE = Path(__file__).resolve().parents[1] / "dags" / "customer_value_nightly.py"
STEPS = ("plugins", "dagbag_import", "dag_file")

_CHILD = """
import json, os, resource, sys

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

import airflow.providers.celery.executors.celery_executor_utils  # noqa: F401
import airflow.sdk.execution_time.supervisor  # noqa: F401
import airflow.sdk.execution_time.task_runner  # noqa: F401
if sys.argv[2] == "1":
    import cvw.celery_preload  # noqa: F401

steps = {}
started = cpu()
from airflow.sdk.listener import get_listener_manager
get_listener_manager()
steps["plugins"], started = cpu() - started, cpu()
from airflow.dag_processing.dagbag import BundleDagBag
steps["dagbag_import"], started = cpu() - started, cpu()
bag = BundleDagBag(dag_folder=sys.argv[1], safe_mode=False, load_op_links=False,
                   bundle_path=os.path.dirname(sys.argv[1]), bundle_name="dags-folder")
steps["dag_file"] = cpu() - started
assert not bag.import_errors, bag.import_errors
steps["tasks"] = len(bag.dags["customer_value_nightly"].tasks)
print(json.dumps(steps))
"""


def measure(preload: bool) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(DAG_FILE), "1" if preload else "0"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"},
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preload", action="store_true", help="as a worker with cvw.celery_worker")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [measure(args.preload) for _ in range(args.runs)]
    for run in runs:
        total = sum(run[step] for step in STEPS)
        print(
            " ".join(f"{step}={run[step]:.3f}" for step in STEPS),
            f"total={total:.3f} tasks={int(run['tasks'])}",
        )
    totals = sorted(sum(run[step] for step in STEPS) for run in runs)
    print(f"median CPU before a task runs: {totals[len(totals) // 2]:.3f} s")


if __name__ == "__main__":
    main()
