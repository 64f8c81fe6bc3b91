"""Gate on the raw landings: one logical date's batch of every catalog table.

Each table's batch is checked for required values, the value sets and ranges
its source system promises, and a row-count control total: the rows landed for
the date must equal ``rows_loaded`` in that batch's ``raw_meta.load_batches``
row. Against the batch log's extraction window, no business date may lie after
the extraction moment and no change timestamp outside the window. Keys must not
be blank, and a key landed twice with different content (in the batch, or with
the same change timestamp as an earlier landing) fails the gate: staging would
keep one version and drop the other without saying so. An account must name a
customer and a product landed in core banking. Uniqueness and the star schema's
relationships are tested by dbt.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cvw.catalog import ALL_TABLES, SourceTable
from cvw.records import BUSINESS_DATES, key_columns
from expectations.dialect import Dialect
from expectations.report import ValidationReport
from expectations.runner import (
    Check,
    Engine,
    SparkWarehouse,
    postgres_warehouse,
    validate_checks,
)

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation
    from pyspark.sql import SparkSession

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
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"


@dataclass(frozen=True)
class CodeList:
    """Where a coded column's accepted codes are kept: a dbt seed file and its column.

    The same seed backs the staging tests, so dbt and this gate accept the same codes.
    ``code_list`` picks one list of ``codes/accepted_codes.csv``.
    """

    seed: str
    column: str = "code"
    code_list: str | None = None

    def codes(self) -> tuple[str, ...]:
        with (SEEDS_DIR / self.seed).open(newline="", encoding="utf-8") as handle:
            return tuple(
                row[self.column]
                for row in csv.DictReader(handle)
                if self.code_list is None or row["code_list"] == self.code_list
            )


def accepted(code_list: str) -> CodeList:
    return CodeList("codes/accepted_codes.csv", code_list=code_list)


CODED_COLUMNS: dict[str, dict[str, CodeList]] = {
    "raw_core_banking.customers": {
        "customer_type": accepted("customer_type"),
        "segment": accepted("customer_segment"),
        "status": accepted("customer_status"),
        "credit_rating": accepted("credit_rating"),
        "group_role": accepted("group_role"),
    },
    "raw_core_banking.products": {"product_family": accepted("product_family")},
    "raw_core_banking.accounts": {
        "status": accepted("account_status"),
        "currency": accepted("currency"),
    },
    "raw_core_banking.transactions": {
        "channel": accepted("transaction_channel"),
        "transaction_type": accepted("transaction_type"),
    },
    "raw_core_banking.loans": {"risk_rating": accepted("credit_rating")},
    "raw_core_banking.fee_postings": {
        "fee_category": CodeList("codes/fee_categories.csv", column="fee_category"),
    },
    "raw_erp.gl_postings": {"gl_line": accepted("gl_line"), "currency": accepted("currency")},
    "raw_erp.cost_centers": {"cost_center_type": accepted("cost_center_type")},
    "raw_erp.unit_costs": {"activity": accepted("cost_activity")},
    "raw_erp.invoices": {"service_type": accepted("invoice_service_type")},
    "raw_crm.contacts": {"contact_type": accepted("customer_type")},
    "raw_crm.interactions": {"interaction_type": accepted("interaction_type")},
    "raw_crm.opportunities": {"stage": accepted("opportunity_stage")},
    "raw_crm.campaign_responses": {
        "channel": accepted("campaign_channel"),
        "response": accepted("campaign_response"),
    },
}


@cache
def value_sets() -> dict[str, dict[str, tuple[str, ...]]]:
    """The accepted codes per raw table and column, read from the seeds once per process."""
    return {
        table: {column: code_list.codes() for column, code_list in columns.items()}
        for table, columns in CODED_COLUMNS.items()
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


# References an account must resolve among everything landed (any logical date):
# staging sees all of it. Without its customer an account drops out of every
# customer mart while its balances still count in the ledger tie-out.
REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "raw_core_banking.accounts": {
        "customer_id": ("raw_core_banking.customers", "customer_id"),
        "product_code": ("raw_core_banking.products", "product_code"),
    },
}

# Text that is empty or only white space.
BLANK = r"^\s*$"


@dataclass(frozen=True)
class BatchLog:
    """What ``raw_meta.load_batches`` says about one table's batch."""

    rows_loaded: int
    window_start: datetime | None
    window_end: datetime


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


def _column_type(source: SourceTable, name: str) -> str:
    return next(column.type for column in source.columns if column.name == name)


def _row(alias: str, names: list[str], dialect: Dialect) -> str:
    return dialect.row(f"{alias}.{name}" for name in names)


def conflicting_versions_query(source: SourceTable, dialect: Dialect) -> str:
    """Batch rows of keys landed in the batch with more than one content."""
    key = ", ".join(source.primary_key)
    # Keys occurring once (nearly all) are set aside by an aggregate over the key
    # alone; only repeated keys have their whole rows compared. The keys are sorted
    # first, so the aggregate counts runs of a sorted stream: over a first load's
    # 23M transaction ids a hash aggregate spilled to disk for 20 s, the sort takes 9 s.
    return (
        f"select {key} from {{batch}} where ({key}) in "
        f"(select {key} from (select {key} from {{batch}} order by {key}) as sorted_keys "
        f"group by {key} having count(*) > 1) "
        f"group by {key} having count(distinct {_row('batch', source.column_names, dialect)}) > 1"
    )


def restated_versions_query(source: SourceTable, logical_date: date, dialect: Dialect) -> str:
    """Batch rows whose key and change timestamp were landed before with other content.

    Only earlier nights count: a later night's batch is checked when it lands, and
    the first load (one night holding every row) then compares against nothing,
    which the BRIN index on ``_logical_date`` finds without reading the table.
    """
    matches = " and ".join(
        f"landed.{name} = batch.{name}" for name in (*source.primary_key, source.change_column)
    )
    return (
        f"select {', '.join(f'batch.{name}' for name in source.primary_key)} from {{batch}} "
        f"inner join {source.raw_table} as landed on {matches} "
        f"where landed._logical_date < date '{logical_date.isoformat()}' "
        f"and {_row('landed', source.column_names, dialect)} "
        f"is distinct from {_row('batch', source.column_names, dialect)}"
    )


def dangling_references_query(column: str, target_table: str, target_column: str) -> str:
    return (
        f"select batch.{column} from {{batch}} where batch.{column} is not null and not exists "
        f"(select 1 from {target_table} as target where target.{target_column} = batch.{column})"
    )


def time_expectations(source: SourceTable, log: BatchLog) -> list[Expectation]:
    """No business date after the extraction moment; change timestamps inside the window."""
    from great_expectations import expectations as gxe

    expectations: list[Expectation] = []
    windowed = _column_type(source, source.change_column) == "timestamptz"
    if windowed:
        expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=source.change_column,
                min_value=log.window_start,
                max_value=log.window_end,
                strict_max=True,
            )
        )
    for name in BUSINESS_DATES.get(source.raw_table, ()):
        if windowed and name == source.change_column:
            continue  # the window's end already bounds it
        timestamp = _column_type(source, name) == "timestamptz"
        moment = log.window_end if timestamp else log.window_end.astimezone(UTC).date()
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column=name, max_value=moment))
    return expectations


def version_expectations(
    source: SourceTable, logical_date: date, dialect: Dialect
) -> list[Expectation]:
    """A key's versions must differ in their change timestamp, or be the same record."""
    from great_expectations import expectations as gxe

    key = ", ".join(source.primary_key)
    expectations: list[Expectation] = [
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=conflicting_versions_query(source, dialect),
            description=f"{key}: one content per key in a batch",
        )
    ]
    if source.change_column not in source.primary_key:
        expectations.append(
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=restated_versions_query(source, logical_date, dialect),
                description=(
                    f"{key}: one content per key and {source.change_column} across batches"
                ),
            )
        )
    return expectations


def raw_expectations(
    source: SourceTable, log: BatchLog | None, logical_date: date, dialect: Dialect
) -> list[Expectation]:
    """Expectations for one table's batch; those against the batch log need its row."""
    from great_expectations import expectations as gxe

    table = source.raw_table
    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=name) for name in required_columns(source)
    ]
    expectations += [
        gxe.ExpectColumnValuesToNotMatchRegex(column=name, regex=BLANK)
        for name in key_columns(source)
    ]
    expectations += version_expectations(source, logical_date, dialect)
    expectations += [
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=dangling_references_query(name, target, target_column),
            description=f"{name}: every value names a row of {target}",
        )
        for name, (target, target_column) in REFERENCES.get(table, {}).items()
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(values))
        for name, values in value_sets().get(table, {}).items()
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
    if log is not None:
        expectations += time_expectations(source, log)
        expectations.append(gxe.ExpectTableRowCountToEqual(value=log.rows_loaded))
    return expectations


def read_batch_logs(warehouse: Engine, logical_date: date) -> dict[str, BatchLog]:
    """The batch log row per raw table for the date, its window in UTC."""
    rows = warehouse.fetch(
        "select source_system, table_name, rows_loaded, window_start, window_end "
        f"from raw_meta.load_batches where logical_date = {warehouse.dialect.literal(logical_date)}"
    )
    # PostgreSQL returns aware timestamps; Spark returns a TIMESTAMP as a naive
    # datetime in this process's local time, which ``astimezone`` reads as such.
    return {
        f"raw_{system}.{name}": BatchLog(
            int(loaded), None if start is None else start.astimezone(UTC), end.astimezone(UTC)
        )
        for system, name, loaded, start, end in rows
    }


def check_raw_landings(warehouse: Engine, logical_date: date) -> ValidationReport:
    """Validate the batch of ``logical_date`` in every raw landing table of ``warehouse``."""
    logs = read_batch_logs(warehouse, logical_date)
    checks = [
        Check(
            name=source.raw_table,
            query=batch_query(source, logical_date),
            expectations=raw_expectations(
                source, logs.get(source.raw_table), logical_date, warehouse.dialect
            ),
        )
        for source in ALL_TABLES
    ]
    # A table without a batch log row has no control total to compare with: that alone fails.
    missing = [
        f"{source.raw_table}: batch log row -> none in raw_meta.load_batches for {logical_date}"
        for source in ALL_TABLES
        if source.raw_table not in logs
    ]
    return validate_checks(warehouse, CHECKPOINT_NAME, checks).with_failures(missing)


def validate_raw_landings(warehouse_url: str, logical_date: date) -> ValidationReport:
    """Validate the batch of ``logical_date`` in every raw landing table on PostgreSQL."""
    with postgres_warehouse(warehouse_url) as warehouse:
        return check_raw_landings(warehouse, logical_date)


def validate_raw_landings_on_spark(spark: SparkSession, logical_date: date) -> ValidationReport:
    """Validate the batch of ``logical_date`` in the raw landing tables of ``spark``'s catalog.

    The tables are ``raw_<system>.<table>`` with partition column ``_logical_date``,
    beside the batch log ``raw_meta.load_batches``, whose window columns are TIMESTAMPs.
    """
    return check_raw_landings(SparkWarehouse(spark), logical_date)
