"""Run the whole warehouse once: sources, Airflow pipeline, published marts, summary.

Usage: python scripts/run_demo.py [--skip-generate]
Settings come from the environment (see README, "Configuration").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

from cvw import embedded_pg, runner
from cvw.access import url_with_password
from cvw.config import PROJECT_ROOT, load_settings
from cvw.summary import render, render_failed_run


def step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.monotonic()


def done(started: float) -> None:
    print(f"    done in {time.monotonic() - started:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-generate", action="store_true", help="reuse the source data")
    args = parser.parse_args()
    settings = load_settings()
    total = time.monotonic()
    # The nightly run the morning after the month end: all month-end postings are in.
    as_of = date.fromisoformat(settings.as_of)
    logical_moment = datetime(as_of.year, as_of.month, as_of.day, 6, tzinfo=UTC) + timedelta(1)

    if settings.embedded:
        started = step(f"Starting embedded PostgreSQL on port {settings.pg_port}")
        embedded_pg.start(settings)
        done(started)
    else:
        for url in (settings.warehouse_url, settings.core_banking_url):
            embedded_pg.ensure_database_of(url)
    if not args.skip_generate:
        started = step(
            f"Generating source systems (seed {settings.seed}, {settings.customers} customers,"
            f" {settings.months} months to {settings.as_of})"
        )
        generator = PROJECT_ROOT / "scripts" / "generate_sources.py"
        subprocess.run([sys.executable, str(generator)], check=True)
        done(started)
    started = step("Starting the CRM API")
    crm = [sys.executable, str(PROJECT_ROOT / "scripts" / "crm_api.py")]
    subprocess.run([*crm, "start"], check=True)
    done(started)
    try:
        started = step("Parsing the dbt project and preparing Airflow")
        manifest = runner.dbt_parse(settings)
        runner.airflow_db_migrate(settings)
        done(started)
        started = step(f"Running DAG {runner.DAG_ID} for {logical_moment.isoformat()}")
        result = runner.run_dag(settings, logical_moment)
        done(started)
    finally:
        subprocess.run([*crm, "stop"], check=False)
    print()
    if not result.succeeded:
        # The closing report reads tables a failed run may never have created.
        failure = render_failed_run(
            result.state, result.task_states, result.task_errors(), result.log_path
        )
        print(f"error: {failure}", file=sys.stderr)
        return 1
    dbt_tasks = sum(1 for task in result.task_states if task.startswith("dbt_build."))
    logical_date = logical_moment.date()
    pack = settings.finance_pack_path(logical_date)
    print(render(settings.warehouse_url, logical_date, manifest, dbt_tasks, pack))
    kept = "; the embedded PostgreSQL keeps running (make stop)" if settings.embedded else ""
    print(f"Demo finished in {time.monotonic() - total:.0f} s{kept}.")
    if settings.embedded:
        # What a BI tool connects with: published marts only, personal data masked.
        print(f"BI reader: {url_with_password(settings, settings.marts_reader_role)}")
    else:
        print(f"WAREHOUSE_URL={settings.warehouse_url}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
