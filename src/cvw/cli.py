"""``cvw``: the one command line of the customer-value warehouse.

The warehouse's own subcommands operate a deployment: ``run`` and ``backfill``
run the nightly DAG, ``summary`` prints what is published, ``docs`` builds and
serves the dbt docs, ``db`` sets up roles and prints connection URLs. Packages
installed beside it add theirs through the ``cvw.commands`` entry-point group
(each entry is a ``register(commands)`` function): the simulated source systems
add ``sources``, the demo harness the embedded server (``db start|stop|status``),
``demo``, ``bench`` and ``bi``. The warehouse never imports them.

Settings come from the environment (README, "Configuration"). Bad arguments exit
with status 2; a failure prints one ``error:`` line and exits with 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import entry_points
from typing import NoReturn

import psycopg

from cvw.config import Settings, load_settings

Handler = Callable[[argparse.Namespace], int]
# When the schedule starts the night's run (the DAG's "0 2 * * *").
NIGHTLY_START = time(2, 0, tzinfo=UTC)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One "error:" line instead of argparse's usage block, like every other failure.
        raise UsageError(f"{self.prog}: {message}")


class Commands:
    """The subcommand tree that the warehouse and its plugins register into."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        self._groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}

    def command(self, name: str, help: str, handler: Handler) -> argparse.ArgumentParser:
        parser = self._top.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser

    def group_command(
        self, group: str, name: str, help: str, handler: Handler, group_help: str = ""
    ) -> argparse.ArgumentParser:
        """``cvw <group> <name>``; the group is created, with ``group_help``, by whichever
        package names it first."""
        if group not in self._groups:
            group_parser = self._top.add_parser(group, help=group_help or group)
            self._groups[group] = group_parser.add_subparsers(
                dest=f"{group}_command", required=True, metavar="COMMAND"
            )
        parser = self._groups[group].add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def nightly_moment(logical_date: date) -> datetime:
    return datetime.combine(logical_date, NIGHTLY_START)


def run_nights(settings: Settings, moments: Sequence[datetime]) -> None:
    """Run the nightly DAG once per logical moment, in order, stopping at the first
    failed night, and print what the last one published.

    A later night builds on the marts an earlier one published, so a failure is
    never skipped over.
    """
    from cvw import runner
    from cvw.summary import render, render_failed_run

    print("==> Parsing the dbt project and preparing Airflow", flush=True)
    manifest = runner.dbt_parse(settings)
    runner.airflow_db_migrate(settings)
    for number, moment in enumerate(moments, start=1):
        print(f"==> Night {number}/{len(moments)}: DAG {runner.DAG_ID} for {moment.isoformat()}")
        result = runner.run_dag(settings, moment)
        if not result.succeeded:
            failure = render_failed_run(
                result.state, result.task_states, result.task_errors(), result.log_path
            )
            raise RuntimeError(failure)
    dbt_tasks = sum(1 for task in result.task_states if task.startswith("dbt_build."))
    logical_date = moments[-1].date()
    pack = settings.finance_pack_path(logical_date)
    print()
    print(render(settings.warehouse_url, logical_date, manifest, dbt_tasks, pack))


def _run(args: argparse.Namespace) -> int:
    run_nights(load_settings(), [nightly_moment(args.date)])
    return 0


def _backfill(args: argparse.Namespace) -> int:
    if args.to < args.from_:
        raise UsageError(f"--to {args.to} is before --from {args.from_}")
    days = (args.to - args.from_).days + 1
    moments = [nightly_moment(args.from_ + timedelta(days=n)) for n in range(days)]
    run_nights(load_settings(), moments)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from cvw.summary import published_summary

    print(published_summary(load_settings()))
    return 0


def _docs(args: argparse.Namespace) -> int:
    from cvw import runner
    from cvw.docs_site import serve

    settings = load_settings()
    site = runner.dbt_docs_generate(settings)
    print(f"dbt docs built in {site}")
    return 0 if args.no_serve else serve(settings, site, args.port)


def _db_url(args: argparse.Namespace) -> int:
    from cvw.access import login_roles, url_with_password

    settings = load_settings()
    if args.role is None:
        print(settings.warehouse_url)
        return 0
    roles = (*login_roles(settings), "postgres")
    if args.role not in roles:
        raise UsageError(f"unknown role {args.role!r}; one of {', '.join(roles)}")
    # The embedded server's passwords are in the state directory; a deployment's are not ours.
    embedded = settings.embedded
    print(url_with_password(settings, args.role) if embedded else settings.component_url(args.role))
    return 0


def _db_roles_sql(args: argparse.Namespace) -> int:
    from cvw.access import setup_script

    print(setup_script(load_settings()), end="")
    return 0


def _db_setup(args: argparse.Namespace) -> int:
    from cvw.access import bootstrap, write_passfile

    settings = load_settings()
    bootstrap(settings)
    print(f"roles and grants set up; passwords in {write_passfile(settings)}")
    return 0


def _lake_export(args: argparse.Namespace) -> int:
    from cvw.lake import export_all

    settings = load_settings()
    written = export_all(settings.warehouse_url, settings.lake_dir)
    rows = sum(written.values())
    print(f"{rows:,} rows of {len(written)} landings copied to {settings.lake_dir}")
    return 0


def _register_warehouse(commands: Commands) -> None:
    run = commands.command("run", "run the nightly DAG for one logical date", _run)
    run.add_argument("--date", type=iso_date, required=True, help="logical date, YYYY-MM-DD")
    backfill = commands.command(
        "backfill", "run the nightly DAG for each date from --from to --to, in order", _backfill
    )
    backfill.add_argument(
        "--from",
        dest="from_",
        metavar="DATE",
        type=iso_date,
        required=True,
        help="first logical date, YYYY-MM-DD",
    )
    backfill.add_argument(
        "--to", metavar="DATE", type=iso_date, required=True, help="last logical date, included"
    )
    commands.command("summary", "print what the published marts hold", _summary)
    docs = commands.command(
        "docs", "build the dbt docs of the published marts and serve them", _docs
    )
    docs.add_argument("--port", type=int, default=8081, help="default 8081")
    docs.add_argument("--no-serve", action="store_true", help="build the site only")
    url = commands.group_command(
        "db",
        "url",
        "print the warehouse URL, or a role's URL with its password",
        _db_url,
        group_help="the warehouse database: roles, URLs, and the embedded server",
    )
    url.add_argument(
        "role", nargs="?", help="a login role, e.g. cvw_bi_reader; without it, the warehouse URL"
    )
    commands.group_command(
        "db", "roles-sql", "print the roles and grants as a psql script for a DBA", _db_roles_sql
    )
    commands.group_command(
        "db",
        "setup",
        "create the roles and grants as the administrator of WAREHOUSE_URL",
        _db_setup,
    )
    commands.group_command(
        "lake",
        "export",
        "copy every landed batch to the Parquet lake Spark reads (a new lake, a backfill)",
        _lake_export,
        group_help="the Parquet copy of the raw landings, for the Spark engine",
    )


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog="cvw", description="Customer-value warehouse: operate the nightly pipeline.")
    commands = Commands(top)
    _register_warehouse(commands)
    for entry in sorted(entry_points(group="cvw.commands"), key=lambda entry: entry.name):
        entry.load()(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except psycopg.Error as error:
        print(f"error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except (RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
