"""Gate on the built marts before they are published.

dbt builds the marts into a build schema; this gate checks ranges, shares, the
ledger tie-out, the tier distribution and the customer 360's completeness there,
and only a passing build is published. What dbt already tests is not tested again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cvw.dbt_vars import dbt_var, marts_build_schema
from expectations.raw_landings import CodeList, accepted
from expectations.report import ValidationReport
from expectations.runner import Check, Engine, SparkWarehouse, postgres_warehouse, validate_checks

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation
    from pyspark.sql import SparkSession

CHECKPOINT_NAME = "marts"
# Premium takes customers whose contribution percentile is in the top
# `tier_premium_top_share` and who also pass the rating and tenure rules, so its
# share of a month's customers stays at or under that var, save ties at the cut-off.
# Twice the var (a tenth of the book at the default 5%) means the tier rule or its
# inputs are wrong.
PREMIUM_SHARE_HEADROOM = 2

# Keys, code lists, required columns and the contribution arithmetic are dbt's
# (tests and contract constraints, which fail the build before this gate runs).
# The gate adds what dbt does not state: ranges, shares, completeness and
# portfolio-level rules.
CUSTOMER_360_BALANCES = ("deposit_balance", "loan_balance", "card_balance", "wealth_balance_aum")
CUSTOMER_360_CHANNEL_SHARES = (
    "channel_share_branch",
    "channel_share_atm",
    "channel_share_online",
    "channel_share_mobile",
)
# The general-ledger lines contribution_gl_reconciliation ties out, each for every month.
GL_LINES = accepted("gl_line")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _at_least_zero(*columns: str) -> list[Expectation]:
    from great_expectations import expectations as gxe

    return [gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0) for name in columns]


def dim_customer_expectations() -> list[Expectation]:
    """dim_customer keeps history (type 2); dbt tests its versions, the gate refuses it empty."""
    from great_expectations import expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
    ]


def contribution_expectations() -> list[Expectation]:
    from great_expectations import expectations as gxe

    # Contribution money the contract leaves nullable; the fee columns are named in the seed.
    fee_columns = CodeList("codes/fee_categories.csv", column="contribution_column").codes()
    required = ("deposit_average_balance", "loan_average_balance", *fee_columns)
    return [
        *(gxe.ExpectColumnValuesToNotBeNull(column=name) for name in required),
        *_at_least_zero("deposit_average_balance", "loan_average_balance", "fee_income"),
    ]


def max_premium_share() -> float:
    """The largest share of a month's customers the premium tier may hold."""
    return PREMIUM_SHARE_HEADROOM * float(dbt_var("tier_premium_top_share"))


def tier_expectations() -> list[Expectation]:
    from great_expectations import expectations as gxe

    max_share = max_premium_share()
    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="contribution_percentile", min_value=0, max_value=1
        ),
        gxe.UnexpectedRowsExpectation(
            description=f"premium share of customers per month <= {max_share:g}",
            unexpected_rows_query=(
                "select month from {batch} group by month "
                "having avg(case when tier = 'premium' then 1.0 else 0.0 end) "
                f"> {max_share}"
            ),
        ),
    ]


def customer_360_expectations(customers: int) -> list[Expectation]:
    """``customers`` is the number of current dim_customer rows (one per customer)."""
    from great_expectations import expectations as gxe

    return [
        # One row per current customer of dim_customer: a shorter 360 has silently lost
        # customers, a longer one has picked up old versions.
        gxe.ExpectTableRowCountToEqual(value=customers),
        *_at_least_zero(*CUSTOMER_360_BALANCES, "product_count"),
        *(
            gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, max_value=1)
            for name in CUSTOMER_360_CHANNEL_SHARES
        ),
    ]


def _above_zero(*columns: str) -> list[Expectation]:
    from great_expectations import expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0, strict_min=True)
        for name in columns
    ]


# Star-schema facts: amounts posted in core banking and CRM are positive, and the loan
# risk measures are shares between 0 and 1.
def transaction_expectations() -> list[Expectation]:
    return _above_zero("amount")


def fee_income_expectations() -> list[Expectation]:
    return _above_zero("amount")


def loan_monthly_expectations() -> list[Expectation]:
    from great_expectations import expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="probability_of_default", min_value=0, max_value=1
        ),
        gxe.ExpectColumnValuesToBeBetween(column="loss_given_default", min_value=0, max_value=1),
        *_at_least_zero("days_past_due", "exposure"),
    ]


def opportunity_expectations() -> list[Expectation]:
    return _above_zero("intended_amount")


def gl_reconciliation_expectations() -> list[Expectation]:
    """A contribution table that does not tie out to the ledger to the cent is not published."""
    from great_expectations import expectations as gxe

    gl_lines = GL_LINES.codes()
    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.UnexpectedRowsExpectation(
            description="gl_amount - allocated_amount - unallocated_amount = 0.00",
            unexpected_rows_query=(
                "select month, gl_line from {batch} "
                "where gl_amount - allocated_amount - unallocated_amount <> 0"
            ),
        ),
        gxe.UnexpectedRowsExpectation(
            description=f"every month reconciles all {len(gl_lines)} GL lines",
            unexpected_rows_query=(
                "select month from {batch} group by month "
                f"having count(distinct gl_line) <> {len(gl_lines)}"
            ),
        ),
    ]


def retention_expectations() -> list[Expectation]:
    """Logo and contribution retention are shares of a base that cannot grow."""
    from great_expectations import expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(column="logo_retention_rate", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(
            column="gross_contribution_retention", min_value=0, max_value=1
        ),
        gxe.UnexpectedRowsExpectation(
            description="customers_retained + customers_churned = customers_start",
            unexpected_rows_query=(
                "select month, horizon_months, segment from {batch} "
                "where customers_retained + customers_churned <> customers_start"
            ),
        ),
    ]


def lifetime_value_expectations() -> list[Expectation]:
    from great_expectations import expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="monthly_retention_rate", min_value=0, max_value=1
        ),
        # CLV rises with retention for a positive margin, so the band's order
        # must hold for the rates and, where the margin is positive, the values.
        gxe.UnexpectedRowsExpectation(
            description="p10 <= estimate <= p90 (rates; values for a positive margin)",
            unexpected_rows_query=(
                "select customer_id from {batch} where not ("
                "monthly_retention_rate_p10 <= monthly_retention_rate"
                " and monthly_retention_rate <= monthly_retention_rate_p90"
                " and (monthly_net_contribution <= 0"
                " or customer_lifetime_value_p10 <= customer_lifetime_value"
                " and customer_lifetime_value <= customer_lifetime_value_p90))"
            ),
        ),
    ]


def mart_checks(schema: str, customers: int) -> list[Check]:
    """The checks for the marts in ``schema``; ``customers`` counts current dim_customer rows."""
    expectations = {
        "dim_customer": dim_customer_expectations(),
        "customer_contribution_monthly": contribution_expectations(),
        "contribution_gl_reconciliation": gl_reconciliation_expectations(),
        "customer_tier_monthly": tier_expectations(),
        "customer_360": customer_360_expectations(customers),
        "fct_transactions": transaction_expectations(),
        "fct_fee_income": fee_income_expectations(),
        "fct_loan_monthly": loan_monthly_expectations(),
        "fct_opportunities": opportunity_expectations(),
        "customer_retention_monthly": retention_expectations(),
        "customer_lifetime_value": lifetime_value_expectations(),
    }
    return [
        Check(name=f"{schema}.{table}", query=f"select * from {schema}.{table}", expectations=rules)
        for table, rules in expectations.items()
    ]


def check_marts(warehouse: Engine, schema: str | None = None) -> ValidationReport:
    """Validate the marts dbt built into ``schema`` (default: the build schema)."""
    schema = schema or marts_build_schema()
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a plain lower-case schema name: {schema!r}")
    ((customers,),) = warehouse.fetch(
        f"select count(*) from {warehouse.dialect.identifier(schema)}.dim_customer where is_current"
    )
    return validate_checks(warehouse, CHECKPOINT_NAME, mart_checks(schema, customers))


def validate_marts(warehouse_url: str, schema: str | None = None) -> ValidationReport:
    """Validate the marts dbt built into ``schema`` on PostgreSQL (default: the build schema)."""
    with postgres_warehouse(warehouse_url) as warehouse:
        return check_marts(warehouse, schema)


def validate_marts_on_spark(spark: SparkSession, database: str | None = None) -> ValidationReport:
    """Validate the marts dbt built into Spark database ``database`` (default: the build schema).

    dbt-spark builds a model of schema ``marts_build`` as table ``marts_build.<model>``.
    """
    return check_marts(SparkWarehouse(spark), database)
