"""``cvw demo``: the whole warehouse once on this machine, from sources to summary.

It starts the embedded PostgreSQL (unless WAREHOUSE_URL names a server),
generates the simulated source systems, serves the simulated CRM API for the
length of the run and runs the nightly DAG for the morning after the as-of day,
then prints what was published. Settings come from the environment (README,
"Configuration").
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime, timedelta

from cvw.access import url_with_password
from cvw.cli import run_nights
from cvw.config import load_settings
from cvw_demo import embedded_pg
from cvw_sources.cli import configured_params, describe, generate_configured
from cvw_sources.crm_api_process import serving


def step(message: str) -> float:
    print(f"==> {message}", flush=True)
    return time.monotonic()


def done(started: float) -> None:
    print(f"    done in {time.monotonic() - started:.1f} s", flush=True)


def run_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    total = time.monotonic()
    as_of = date.fromisoformat(settings.as_of)
    # The nightly run the morning after the month end: all month-end postings are in.
    logical_moment = datetime(as_of.year, as_of.month, as_of.day, 6, tzinfo=UTC) + timedelta(1)

    if settings.embedded:
        started = step(f"Starting embedded PostgreSQL on port {settings.pg_port}")
        embedded_pg.start(settings)
        done(started)
    else:
        for url in (settings.warehouse_url, settings.core_banking_url):
            embedded_pg.ensure_database_of(url)
    if not args.skip_generate:
        params = configured_params(settings)
        started = step(
            f"Generating source systems (seed {params.seed}, {params.customers} customers,"
            f" {params.months} months to {params.as_of})"
        )
        summary = generate_configured(
            params, settings, progress=lambda message: print(f"    {message}", flush=True)
        )
        print("    " + describe(summary, settings.core_banking_url).replace("\n", "\n    "))
        done(started)
    with serving(settings):
        print(f"==> CRM API serving on port {settings.crm_port} for the run", flush=True)
        run_nights(settings, [logical_moment])
    kept = "; the embedded PostgreSQL keeps running (make stop)" if settings.embedded else ""
    print(f"Demo finished in {time.monotonic() - total:.0f} s{kept}.")
    if settings.embedded:
        # What a BI tool connects with: published marts only, personal data masked.
        print(f"BI reader: {url_with_password(settings, settings.marts_reader_role)}")
    else:
        print(f"WAREHOUSE_URL={settings.warehouse_url}")
    return 0
