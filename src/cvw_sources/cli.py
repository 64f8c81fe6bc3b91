"""The simulator's ``cvw`` subcommands: ``cvw sources generate`` and the CRM API's.

``generate`` writes core banking, the ERP exports, the CRM file and the truth
files. Its defaults and targets come from the environment (README,
"Configuration"): CVW_SEED, CVW_CUSTOMERS, CVW_MONTHS, CVW_AS_OF,
CORE_BANKING_URL, ERP_EXPORT_DIR, CRM_DB_PATH and CVW_TRUTH_DIR. ``--workers`` is
the number of processes generating core banking (default: one per CPU, at most
four); it never changes the data.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from urllib.parse import urlsplit

from cvw.cli import Commands, UsageError, iso_date
from cvw.config import Settings, load_settings
from cvw_sources import crm_api_process
from cvw_sources.generate import GenerationSummary, GeneratorParams, generate

DEFAULTS = GeneratorParams()
RATES = ("crm_missing_cif_rate", "crm_mistyped_cif_rate", "crm_duplicate_contact_rate",
         "crm_prospect_rate")  # fmt: skip


def register(commands: Commands) -> None:
    parser = commands.group_command(
        "sources",
        "generate",
        "generate the simulated core banking, ERP and CRM",
        _generate,
        group_help="the simulated source systems: generate them, serve the CRM API",
    )
    parser.add_argument("--seed", type=int, help="default CVW_SEED")
    parser.add_argument("--customers", type=int, help="default CVW_CUSTOMERS")
    parser.add_argument("--months", type=int, help="default CVW_MONTHS")
    parser.add_argument("--as-of", type=iso_date, help="a month end; default CVW_AS_OF")
    for name in RATES:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=float, default=getattr(DEFAULTS, name), dest=name)
    parser.add_argument("--erp-bad-rows-per-file", type=int, default=DEFAULTS.erp_bad_rows_per_file)
    parser.add_argument("--workers", type=int, default=None)
    crm_api_process.register(commands)


def configured_params(settings: Settings) -> GeneratorParams:
    """The size and seed the configuration names (CVW_SEED, CVW_CUSTOMERS, ...)."""
    return GeneratorParams(
        seed=settings.seed,
        customers=settings.customers,
        months=settings.months,
        as_of=date.fromisoformat(settings.as_of),
    )


def params_from(args: argparse.Namespace, settings: Settings) -> GeneratorParams:
    """Parameters from the command line over the configured ones."""
    given = {
        "seed": args.seed,
        "customers": args.customers,
        "months": args.months,
        "as_of": args.as_of,
        "erp_bad_rows_per_file": args.erp_bad_rows_per_file,
        **{name: getattr(args, name) for name in RATES},
    }
    try:
        return replace(
            configured_params(settings),
            **{name: value for name, value in given.items() if value is not None},
        )
    except ValueError as error:
        raise UsageError(str(error)) from None


def describe(summary: GenerationSummary, database_url: str) -> str:
    params = summary.params
    target = urlsplit(database_url)
    core_rows = sum(n for name, n in summary.rows.items() if name.startswith("core_banking."))
    crm_rows = sum(n for name, n in summary.rows.items() if name.startswith("crm."))
    as_of = params.as_of.isoformat()
    return "\n".join(
        [
            f"Generated seed {params.seed}: {params.customers:,} customers, {params.months} months"
            f" to {as_of} in {summary.seconds:.1f} s",
            f"  core banking: {core_rows:,} rows in database {target.path.lstrip('/')}"
            f" on {target.hostname}:{target.port or 5432}",
            f"  ERP: {summary.erp_folders} monthly export folders",
            f"  CRM: {crm_rows:,} rows",
            f"  top 4% of customers hold {summary.top_4pct_balance_share:.1%} of month-end"
            f" balances at {as_of} (top 20%: {summary.top_20pct_balance_share:.1%})",
        ]
    )


def generate_configured(
    params: GeneratorParams,
    settings: Settings,
    progress: Callable[[str], None],
    workers: int | None = None,
) -> GenerationSummary:
    """Generate into the places the configuration names."""
    return generate(
        params,
        settings.core_banking_url,
        settings.erp_export_dir,
        settings.crm_db_path,
        settings.truth_dir,
        progress=progress,
        workers=workers,
    )


def _generate(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ValueError as error:
        raise UsageError(f"invalid configuration: {error}") from None
    params = params_from(args, settings)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be 1 or more, got {args.workers}")
    summary = generate_configured(params, settings, progress=print, workers=args.workers)
    print(describe(summary, settings.core_banking_url))
    print(f"  ERP exports in {settings.erp_export_dir}")
    print(f"  CRM database {settings.crm_db_path}, truth files in {settings.truth_dir}")
    return 0
