"""Gate on the raw landings: one logical date's batch of every catalog table.

Each table's batch is checked for required values, the value sets and ranges
its source system promises, and a row-count control total: the rows landed for
the date must equal ``rows_loaded`` in that batch's ``raw_meta.load_batches``
row. Keys and relationships are tested by dbt, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import psycopg

from cvw.catalog import ALL_TABLES, SourceTable
from expectations.report import ValidationReport
from expectations.runner import Check, libpq_url, run_checks

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

CHECKPOINT_NAME = "raw_landings"


@dataclass(frozen=True)
class Bounds:
    min_value: float | None = None
    max_value: float | None = None
    strict_min: bool = False


AT_LEAST_ZERO = Bounds(min_value=0)
ABOVE_ZERO = Bounds(min_value=0, strict_min=True)
CUSTOMER_RATE = Bounds(min_value=0, max_value=0.30)
SHARE = Bounds(min_value=0, max_value=1)
CREDIT_RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

VALUE_SETS: dict[str, dict[str, tuple[str, ...]]] = {
    "raw_core_banking.customers": {
        "customer_type": ("retail", "corporate"),
        "segment": ("mass", "affluent", "private", "sme", "mid_market", "large"),
        "status": ("active", "dormant", "closed"),
        "credit_rating": CREDIT_RATINGS,
    },
    "raw_core_banking.products": {
        "product_family": ("current_deposit", "term_deposit", "loan", "card", "wealth"),
    },
    "raw_core_banking.accounts": {"status": ("open", "closed")},
    "raw_core_banking.transactions": {
        "channel": ("branch", "atm", "online", "mobile"),
        "transaction_type": ("deposit", "withdrawal", "transfer", "payment"),
    },
    "raw_core_banking.fee_postings": {
        "fee_category": (
            "settlement",
            "wealth_management",
            "agency_insurance",
            "cards",
            "e_banking",
            "international",
            "investment_banking",
        ),
    },
    "raw_erp.gl_postings": {
        "gl_line": ("interest_income", "interest_expense", "fee_income", "operating_expense"),
    },
    "raw_erp.cost_centers": {"cost_center_type": ("branch", "head_office", "treasury")},
    "raw_crm.contacts": {"contact_type": ("retail", "corporate")},
    "raw_crm.interactions": {"interaction_type": ("visit", "call", "complaint")},
    "raw_crm.opportunities": {"stage": ("lead", "qualified", "proposal", "won", "lost")},
}

RANGES: dict[str, dict[str, Bounds]] = {
    "raw_core_banking.products": {"standard_rate": CUSTOMER_RATE, "term_months": AT_LEAST_ZERO},
    "raw_core_banking.accounts": {"interest_rate": CUSTOMER_RATE, "term_months": AT_LEAST_ZERO},
    "raw_core_banking.balances": {
        # Balances are reported as positive amounts for deposits, loans and cards alike.
        "month_end_balance": AT_LEAST_ZERO,
        "average_balance": AT_LEAST_ZERO,
        "days_in_month": Bounds(min_value=28, max_value=31),
    },
    "raw_core_banking.transactions": {"amount": ABOVE_ZERO},
    "raw_core_banking.loans": {
        "principal_amount": AT_LEAST_ZERO,
        "outstanding_balance": AT_LEAST_ZERO,
        "interest_rate": CUSTOMER_RATE,
        "term_months": AT_LEAST_ZERO,
        "probability_of_default": SHARE,
        "loss_given_default": SHARE,
        "days_past_due": AT_LEAST_ZERO,
    },
    "raw_core_banking.fee_postings": {"amount": ABOVE_ZERO},
    # The ledger line says whether a posting is income or expense, so amounts carry no sign.
    "raw_erp.gl_postings": {"amount": AT_LEAST_ZERO},
    "raw_erp.ftp_curve": {"ftp_rate": Bounds(min_value=0, max_value=0.20)},
    "raw_erp.unit_costs": {"unit_cost": AT_LEAST_ZERO},
    "raw_erp.invoices": {"amount": AT_LEAST_ZERO, "paid_amount": AT_LEAST_ZERO},
    "raw_crm.relationship_managers": {"annual_cost": AT_LEAST_ZERO},
    "raw_crm.surveys": {"score": Bounds(min_value=1, max_value=10)},
    "raw_crm.opportunities": {"intended_amount": AT_LEAST_ZERO, "booked_amount": AT_LEAST_ZERO},
}

PATTERNS: dict[str, dict[str, str]] = {
    "raw_erp.gl_postings": {"period": PERIOD_PATTERN},
    "raw_erp.unit_costs": {"period": PERIOD_PATTERN},
}


def batch_query(source: SourceTable, logical_date: date) -> str:
    # GX query assets take no bind parameters; an ISO date from a ``date`` is a safe literal.
    return (
        f"select * from {source.raw_table} where _logical_date = date '{logical_date.isoformat()}'"
    )


def required_columns(source: SourceTable) -> list[str]:
    """Columns the catalog marks NOT NULL, plus the key, in catalog order."""
    return [
        column.name
        for column in source.columns
        if not column.nullable or column.name in source.primary_key
    ]


def raw_expectations(source: SourceTable, rows_loaded: int | None) -> list[Expectation]:
    """Expectations for one table's batch; no control total when the batch log has no row."""
    from great_expectations import expectations as gxe

    table = source.raw_table
    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=name) for name in required_columns(source)
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(values))
        for name, values in VALUE_SETS.get(table, {}).items()
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeBetween(
            column=name,
            min_value=bounds.min_value,
            max_value=bounds.max_value,
            strict_min=bounds.strict_min,
        )
        for name, bounds in RANGES.get(table, {}).items()
    ]
    expectations += [
        gxe.ExpectColumnValuesToMatchRegex(column=name, regex=pattern)
        for name, pattern in PATTERNS.get(table, {}).items()
    ]
    if rows_loaded is not None:
        expectations.append(gxe.ExpectTableRowCountToEqual(value=rows_loaded))
    return expectations


def read_rows_loaded(warehouse_url: str, logical_date: date) -> dict[str, int]:
    """``rows_loaded`` per raw table for the date, from the batch log."""
    with psycopg.connect(libpq_url(warehouse_url)) as conn:
        rows = conn.execute(
            "select source_system, table_name, rows_loaded from raw_meta.load_batches "
            "where logical_date = %s",
            (logical_date,),
        ).fetchall()
    return {f"raw_{system}.{name}": int(loaded) for system, name, loaded in rows}


def validate_raw_landings(warehouse_url: str, logical_date: date) -> ValidationReport:
    """Validate the batch of ``logical_date`` in every raw landing table."""
    rows_loaded = read_rows_loaded(warehouse_url, logical_date)
    checks = [
        Check(
            name=source.raw_table,
            query=batch_query(source, logical_date),
            expectations=raw_expectations(source, rows_loaded.get(source.raw_table)),
        )
        for source in ALL_TABLES
    ]
    # A table without a batch log row has no control total to compare with: that alone fails.
    missing = [
        f"{source.raw_table}: batch log row -> none in raw_meta.load_batches for {logical_date}"
        for source in ALL_TABLES
        if source.raw_table not in rows_loaded
    ]
    return run_checks(warehouse_url, CHECKPOINT_NAME, checks).with_failures(missing)
