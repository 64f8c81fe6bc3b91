"""``cvw ui``: the Airflow UI (``airflow standalone``) over the demo's DAG, in the foreground.

The simulated CRM API is served from a thread of this process for as long as the
UI runs, so the DAG runs the UI triggers can extract from it. Ctrl-C stops
Airflow (its whole process group) and the API together; nothing is left running
in the background. The UI listens on the loopback interface only: Airflow's
default, 0.0.0.0, would offer it (and its generated admin password) to the whole
network.

``airflow_env``, ``start_group`` and ``stop_group`` also start and stop the
separate Airflow components (API server, scheduler, DAG processor, Celery
worker) of the Celery test, tests/integration/test_celery_executor.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from cvw import runner
from cvw.config import Settings, load_settings
from cvw_demo import embedded_pg
from cvw_sources.crm_api_process import serving

STOP_TIMEOUT_S = 20.0
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def run_ui(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.embedded:
        embedded_pg.start(settings)
    runner.dbt_parse(settings)
    env = airflow_env(settings, args.port)
    log_path = settings.state_dir / "logs" / "airflow_standalone.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    passwords = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
    with serving(settings), log_path.open("ab") as log:
        airflow = start_group([AIRFLOW, "standalone"], env, log)
        print(f"Airflow UI starting on http://127.0.0.1:{args.port} (about 20 s); user admin,")
        print(f"password in {passwords}; log {log_path}. Ctrl-C stops it.", flush=True)
        try:
            return airflow.wait()
        except KeyboardInterrupt:
            print("Stopping the Airflow UI and the CRM API", flush=True)
            return 0
        finally:
            # Also when Airflow ended by itself: its API server's child outlives it.
            stop_group(airflow)


def airflow_env(settings: Settings, api_port: int) -> dict[str, str]:
    """The environment of Airflow's components, with the API server on the loopback interface."""
    return {
        **runner.tool_env(settings),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        # Airflow's components start one another as `airflow ...` commands.
        "PATH": f"{Path(AIRFLOW).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def start_group(args: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start a server in a process group of its own, which ``stop_group`` ends whole."""
    return subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group: SIGINT, then SIGTERM, then SIGKILL, until no member is left.

    The group, not the process: Airflow's API server serves from a child that
    outlives its parent, and a Celery worker from a pool of children.
    """
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, stop_signal)
        except ProcessLookupError:
            break
        if _group_ended(process, STOP_TIMEOUT_S):
            break
    process.wait()


def _group_ended(process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        # Reaped, the leader no longer counts as a member of its group.
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
