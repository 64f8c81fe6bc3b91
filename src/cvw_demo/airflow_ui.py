"""``cvw ui``: the Airflow UI (``airflow standalone``) over the demo's DAG, in the foreground.

The simulated CRM API is served from a thread of this process for as long as the
UI runs, so the DAG runs the UI triggers can extract from it. Ctrl-C stops
Airflow (its whole process group) and the API together; nothing is left running
in the background. The UI listens on the loopback interface only: Airflow's
default, 0.0.0.0, would offer it (and its generated admin password) to the whole
network.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from cvw import runner
from cvw.config import load_settings
from cvw_demo import embedded_pg
from cvw_sources.crm_api_process import serving

STOP_TIMEOUT_S = 20.0


def run_ui(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.embedded:
        embedded_pg.start(settings)
    runner.dbt_parse(settings)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **runner.tool_env(settings),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(args.port),
        # Airflow's components start one another as `airflow ...` commands.
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log_path = settings.state_dir / "logs" / "airflow_standalone.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    passwords = settings.airflow_home / "simple_auth_manager_passwords.json.generated"
    with serving(settings), log_path.open("ab") as log:
        airflow = subprocess.Popen(
            [str(Path(bin_dir) / "airflow"), "standalone"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        print(f"Airflow UI starting on http://127.0.0.1:{args.port} (about 20 s); user admin,")
        print(f"password in {passwords}; log {log_path}. Ctrl-C stops it.", flush=True)
        try:
            return airflow.wait()
        except KeyboardInterrupt:
            print("Stopping the Airflow UI and the CRM API", flush=True)
            return 0
        finally:
            # Also when Airflow ended by itself: its API server's child outlives it.
            _stop(airflow)


def _stop(airflow: subprocess.Popen[bytes]) -> None:
    """Stop Airflow's process group: SIGINT, then SIGTERM, then SIGKILL."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(airflow.pid, stop_signal)
        except ProcessLookupError:
            return
        try:
            airflow.wait(timeout=STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue
