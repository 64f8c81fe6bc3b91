"""What the generator is asked to produce, and what it reports back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from cvw_sources.generate.window import is_month_end

MIN_CUSTOMERS = 10
# Billing-account numbers are a permutation of six digits (see invoices.py).
MAX_CUSTOMERS = 999_000
MAX_MONTHS = 240
MAX_BAD_ROWS_PER_FILE = 10_000


@dataclass(frozen=True)
class GeneratorParams:
    """Size, seed and data-quality knobs of one generated data set.

    The data covers ``months`` calendar months ending with the month of ``as_of``,
    which must be a month end. The ``crm_*`` rates are shares of customers; the
    ERP bad rows are extra unparseable lines per general-ledger file.
    """

    seed: int = 42
    customers: int = 1000
    months: int = 13
    as_of: date = date(2026, 10, 31)
    crm_missing_cif_rate: float = 0.08
    crm_mistyped_cif_rate: float = 0.04
    crm_duplicate_contact_rate: float = 0.05
    crm_prospect_rate: float = 0.10
    erp_bad_rows_per_file: int = 0

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ValueError("; ".join(problems))

    def as_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["as_of"] = self.as_of.isoformat()
        return values


def _problems(params: GeneratorParams) -> list[str]:
    problems = []
    if params.seed < 0:
        problems.append(f"seed must be 0 or more, got {params.seed}")
    if not MIN_CUSTOMERS <= params.customers <= MAX_CUSTOMERS:
        problems.append(
            f"customers must be from {MIN_CUSTOMERS} to {MAX_CUSTOMERS:,}, got {params.customers}"
        )
    if not 1 <= params.months <= MAX_MONTHS:
        problems.append(f"months must be from 1 to {MAX_MONTHS}, got {params.months}")
    if not is_month_end(params.as_of):
        problems.append(f"as_of must be the last day of a month, got {params.as_of.isoformat()}")
    rates = {
        "crm_missing_cif_rate": params.crm_missing_cif_rate,
        "crm_mistyped_cif_rate": params.crm_mistyped_cif_rate,
        "crm_duplicate_contact_rate": params.crm_duplicate_contact_rate,
        "crm_prospect_rate": params.crm_prospect_rate,
    }
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            problems.append(f"{name} must be from 0 to 1, got {rate}")
    if params.crm_missing_cif_rate + params.crm_mistyped_cif_rate > 1.0:
        problems.append("crm_missing_cif_rate + crm_mistyped_cif_rate must not exceed 1")
    if not 0 <= params.erp_bad_rows_per_file <= MAX_BAD_ROWS_PER_FILE:
        problems.append(
            f"erp_bad_rows_per_file must be from 0 to {MAX_BAD_ROWS_PER_FILE}, "
            f"got {params.erp_bad_rows_per_file}"
        )
    return problems


@dataclass(frozen=True)
class GenerationSummary:
    """Row counts per source table (``system.table``; ERP summed over its monthly files)."""

    params: GeneratorParams
    rows: Mapping[str, int]
    erp_folders: int
    top_4pct_balance_share: float
    top_20pct_balance_share: float
    seconds: float = field(compare=False)
