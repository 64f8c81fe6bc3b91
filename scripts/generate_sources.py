"""Generate the simulated source systems: core banking, ERP exports and CRM.

Usage: python scripts/generate_sources.py [--seed N] [--customers N] [--months N]
           [--as-of YYYY-MM-DD] [--crm-missing-cif-rate R] [--crm-mistyped-cif-rate R]
           [--crm-duplicate-contact-rate R] [--crm-prospect-rate R] [--erp-bad-rows-per-file N]
           [--workers N]
Defaults and targets come from the environment (see README, "Configuration"):
CVW_SEED, CVW_CUSTOMERS, CVW_MONTHS, CVW_AS_OF, CORE_BANKING_URL, ERP_EXPORT_DIR,
CRM_DB_PATH and CVW_TRUTH_DIR. ``--workers`` is the number of processes generating
core banking (default: one per CPU, at most four); it never changes the data. Bad
arguments exit with status 2, failures with 1.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import NoReturn
from urllib.parse import urlsplit

import psycopg

from cvw.config import load_settings
from cvw.generate import GenerationSummary, GeneratorParams, generate

DEFAULTS = GeneratorParams()


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One "error:" line instead of argparse's usage block, like every other failure.
        raise UsageError(message)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_params(argv: list[str]) -> tuple[GeneratorParams, int | None]:
    """Parameters from the command line over the configured defaults, and the number of
    core-banking workers if given."""
    try:
        settings = load_settings()
        as_of = date.fromisoformat(settings.as_of)
    except ValueError as error:
        raise UsageError(f"invalid configuration: {error}") from None
    parser = _Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=settings.seed)
    parser.add_argument("--customers", type=int, default=settings.customers)
    parser.add_argument("--months", type=int, default=settings.months)
    parser.add_argument("--as-of", type=_iso_date, default=as_of, help="a month end")
    for name in (
        "crm_missing_cif_rate",
        "crm_mistyped_cif_rate",
        "crm_duplicate_contact_rate",
        "crm_prospect_rate",
    ):
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=float, default=getattr(DEFAULTS, name), dest=name)
    parser.add_argument("--erp-bad-rows-per-file", type=int, default=DEFAULTS.erp_bad_rows_per_file)
    parser.add_argument("--workers", type=int, default=None)
    values = vars(parser.parse_args(argv))
    workers = values.pop("workers")
    if workers is not None and workers < 1:
        raise UsageError(f"workers must be 1 or more, got {workers}")
    try:
        return GeneratorParams(**values), workers
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


def main(argv: list[str]) -> int:
    try:
        params, workers = parse_params(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = load_settings()
    summary = generate(
        params,
        settings.core_banking_url,
        settings.erp_export_dir,
        settings.crm_db_path,
        settings.truth_dir,
        progress=lambda message: print(message, flush=True),
        workers=workers,
    )
    print(describe(summary, settings.core_banking_url))
    print(f"  ERP exports in {settings.erp_export_dir}")
    print(f"  CRM database {settings.crm_db_path}, truth files in {settings.truth_dir}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (RuntimeError, OSError, psycopg.Error) as error:
        message = " ".join(str(error).split())
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
