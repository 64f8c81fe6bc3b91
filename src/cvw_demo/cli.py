"""The demo harness's ``cvw`` subcommands: the embedded server, the demo, the
benchmark and the Superset dashboards.

``cvw bi start`` needs a published demo (schema ``marts``; ``make demo`` first). It
migrates Superset's metadata under the state directory, creates the admin user
(its generated password is printed the first time and kept in
``<state_dir>/secrets/superset_admin_password``), imports the dashboards kept as
code under ``bi/superset/assets`` and serves them on 127.0.0.1 in the background
(pid in ``<state_dir>/superset.pid``, log in ``<state_dir>/superset.log``).
``cvw bi export`` writes every dashboard of that Superset back to
``bi/superset/assets`` (the connection without its server), to review and commit.
"""

from __future__ import annotations

import argparse

from cvw.cli import Commands
from cvw.config import Settings, load_settings
from cvw_demo import embedded_pg
from cvw_demo import superset as bi


def register(commands: Commands) -> None:
    commands.group_command("db", "start", "start the embedded PostgreSQL", _db_start)
    commands.group_command("db", "stop", "stop the embedded PostgreSQL", _db_stop)
    commands.group_command("db", "status", "say whether the embedded PostgreSQL runs", _db_status)
    demo = commands.command("demo", "generate the sources and run the whole pipeline once", _demo)
    demo.add_argument("--skip-generate", action="store_true", help="reuse the source data")
    ui = commands.command("ui", "serve the Airflow UI and the CRM API until Ctrl-C", _ui)
    ui.add_argument("--port", type=int, default=8080, help="default 8080")
    bench = commands.command(
        "bench", "benchmark a full build, two nightly increments and bare dbt", _bench
    )
    bench.add_argument(
        "--size",
        choices=["S", "M"],
        required=True,
        help="S: 1,000 customers x 13 months; M: 100,000 x 24",
    )
    bench.add_argument("--regenerate", action="store_true", help="generate sources again")
    bench.add_argument(
        "--increments",
        type=int,
        choices=[0, 1, 2],
        default=2,
        help="nightly increments after the full build (default 2)",
    )
    bench.add_argument(
        "--no-bare-dbt",
        dest="bare_dbt",
        action="store_false",
        help="skip the bare dbt build after the DAG runs",
    )
    start = commands.group_command(
        "bi",
        "start",
        "serve the Superset dashboards",
        _bi_start,
        group_help="Apache Superset dashboards over the published marts",
    )
    start.add_argument(
        "--port", type=int, default=bi.DEFAULT_PORT, help=f"default {bi.DEFAULT_PORT}"
    )
    commands.group_command("bi", "stop", "stop Superset", _bi_stop)
    commands.group_command("bi", "status", "say whether Superset runs", _bi_status)
    commands.group_command(
        "bi", "export", "write the running Superset's dashboards back to bi/superset/assets",
        _bi_export,
    )  # fmt: skip


def _embedded_settings(command: str) -> Settings | None:
    """The settings, or None (said in one line) when WAREHOUSE_URL names another server."""
    settings = load_settings()
    if settings.embedded:
        return settings
    print(f"WAREHOUSE_URL is set ({settings.warehouse_url}): no embedded server to {command}")
    return None


def _db_start(args: argparse.Namespace) -> int:
    if settings := _embedded_settings("start"):
        embedded_pg.start(settings)
        print(f"PostgreSQL running on 127.0.0.1:{settings.pg_port} (data in {settings.pgdata})")
    return 0


def _db_stop(args: argparse.Namespace) -> int:
    if settings := _embedded_settings("stop"):
        stopped = embedded_pg.stop(settings)
        print("PostgreSQL stopped" if stopped else "PostgreSQL was not running")
    return 0


def _db_status(args: argparse.Namespace) -> int:
    settings = _embedded_settings("check")
    if settings is None:
        return 0
    running = embedded_pg.is_running(settings)
    print(f"PostgreSQL {'running' if running else 'stopped'} on 127.0.0.1:{settings.pg_port}")
    return 0 if running else 1


def _demo(args: argparse.Namespace) -> int:
    from cvw_demo.demo import run_demo

    return run_demo(args)


def _ui(args: argparse.Namespace) -> int:
    from cvw_demo.airflow_ui import run_ui

    return run_ui(args)


def _bench(args: argparse.Namespace) -> int:
    from cvw_demo.bench import run_bench

    return run_bench(args)


def _bi_start(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not bi.published_marts_exist(settings):
        raise RuntimeError("no published marts (schema marts); run `make demo` first")
    new_password = bi.set_up(settings)
    bi.serve(settings, args.port)
    print(f"Superset on http://127.0.0.1:{args.port}/dashboard/list/ as {bi.ADMIN_USER}")
    if new_password:
        print(f"admin password (shown once; kept in the state directory's secrets): {new_password}")
    else:
        print(f"admin password in {bi.admin_password_file(settings)}")
    return 0


def _bi_stop(args: argparse.Namespace) -> int:
    print("Superset stopped" if bi.stop(load_settings()) else "Superset was not running")
    return 0


def _bi_status(args: argparse.Namespace) -> int:
    running = bi.is_running(load_settings())
    print(f"Superset {'running' if running else 'stopped'}")
    return 0 if running else 1


def _bi_export(args: argparse.Namespace) -> int:
    written = bi.export_assets(load_settings())
    print(f"{len(written)} files written under {bi.ASSETS_DIR}; review with git diff")
    return 0
