"""Tiny marts for the gate tests, built in PostgreSQL and copied into a Spark catalog."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def build_marts(
    conn: psycopg.Connection,
    schema: str,
    *,
    gl_error: float = 0.0,
    customers_in_360: int = 10,
    premium_customers: int = 1,
    retained_customers: int = 9,
    clv_p90_months: float = 440.0,
) -> None:
    """Ten customers; one ledger line (operating expense) can be put off by ``gl_error``."""
    statements = [
        "create schema {s}",
        """create table {s}.dim_customer as
        select format('C%s', lpad(n::text, 3, '0')) as customer_id, 'retail' as customer_type,
               'Customer ' || n as full_name, (array['mass', 'affluent', 'private'])[1 + n % 3]
               as segment, null::text as industry, 'B01' as branch_id, 'north' as region,
               date '2021-03-01' as onboarded_date, 'active' as status,
               null::date as closed_date, 'A' as credit_rating, true as is_active,
               'RM01' as rm_id, md5('C' || n) as customer_key,
               timestamptz '2026-01-01' as valid_from, timestamptz '9999-12-31' as valid_to,
               true as is_current
        from generate_series(1, 10) as n""",
        """create table {s}.customer_contribution_monthly (
            customer_id, month, deposit_average_balance, loan_average_balance, deposit_nii,
            loan_nii, fee_income, fee_settlement, fee_wealth_management, fee_agency_insurance,
            fee_cards, fee_e_banking, fee_international, fee_investment_banking,
            gross_contribution
        ) as values
        ('C001', date '2026-09-30', 12000.00, 0.00, 21.37, 0.00, 5.50,
         2.00, 3.50, 0.00, 0.00, 0.00, 0.00, 0.00, 26.87),
        ('C001', date '2026-10-31', 12500.00, 0.00, 22.05, 0.00, 0.00,
         0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 22.05),
        ('C002', date '2026-10-31', 300.00, 80000.00, 0.54, 141.20, 38.00,
         10.00, 0.00, 8.00, 12.00, 3.00, 5.00, 0.00, 179.74)""",
        """create table {s}.customer_tier_monthly as
        select format('C%s', lpad(n::text, 3, '0')) as customer_id,
               date '2026-10-31' as month,
               case when n <= {premium} then 'premium' else 'ordinary' end as tier,
               'contribution rank ' || n as tier_reason,
               1000.00 - n as contribution_l12m, round((11 - n) / 10.0, 2)
               as contribution_percentile
        from generate_series(1, 10) as n""",
        """create table {s}.customer_360 as
        select format('C%s', lpad(n::text, 3, '0')) as customer_id, 1000.00 * n
               as deposit_balance, 0.00 as loan_balance, 0.00 as card_balance,
               500.00 as wealth_balance_aum, 2 as product_count,
               1000.00 - n as contribution_l12m, 0.25 as channel_share_branch,
               0.25 as channel_share_atm, 0.5 as channel_share_online,
               0.0 as channel_share_mobile
        from generate_series(1, {in_360}) as n""",
        "create table {s}.fct_transactions as select 120.50 as amount",
        "create table {s}.fct_fee_income as select 8.00 as amount",
        """create table {s}.fct_loan_monthly as
        select 0.02 as probability_of_default, 0.45 as loss_given_default,
               0 as days_past_due, 80000.00 as exposure""",
        "create table {s}.fct_opportunities as select 500000.00 as intended_amount",
        """create table {s}.contribution_gl_reconciliation (
            month, gl_line, gl_amount, allocated_amount, unallocated_amount, difference
        ) as values
        (date '2026-10-01', 'interest_income', 150.00, 141.20, 8.80, 0.00),
        (date '2026-10-01', 'interest_expense', 30.00, 25.00, 5.00, 0.00),
        (date '2026-10-01', 'fee_income', 50.00, 38.00, 12.00, 0.00),
        (date '2026-10-01', 'operating_expense', 90.00 + {gl_error}, 70.00, 20.00, 0.00)""",
        """create table {s}.customer_retention_monthly (
            month, horizon_months, segment, customers_start, customers_retained,
            customers_churned, logo_retention_rate, gross_contribution_retention
        ) as values
        (date '2026-10-01', 1, 'all', 10, {retained}, 10 - {retained}, {retained} / 10.0, 0.9),
        (date '2026-10-01', 1, 'mass', 4, 4, 0, 1.0, 0.8)""",
        """create table {s}.customer_lifetime_value as
        select format('C%s', lpad(n::text, 3, '0')) as customer_id,
               0.97 as monthly_retention_rate_p10,
               0.98 as monthly_retention_rate,
               0.99 as monthly_retention_rate_p90,
               (n - 3) * 10.0 as monthly_net_contribution,
               (n - 3) * 400.0 as customer_lifetime_value_p10,
               (n - 3) * 420.0 as customer_lifetime_value,
               (n - 3) * {clv_p90_months} as customer_lifetime_value_p90
        from generate_series(1, 10) as n""",
    ]
    for statement in statements:
        conn.execute(
            statement.format(
                s=schema,
                gl_error=gl_error,
                premium=premium_customers,
                in_360=customers_in_360,
                retained=retained_customers,
                clv_p90_months=clv_p90_months,
            )
        )


# Spark types of the PostgreSQL types build_marts creates, by type OID; numeric
# columns get the scale of their values.
SPARK_TYPES = {
    16: "boolean",
    20: "bigint",
    23: "int",
    25: "string",
    1082: "date",
    1184: "timestamp",
}
NUMERIC = 1700


def copy_marts_to_spark(conn: psycopg.Connection, schema: str, spark: SparkSession) -> None:
    """Copy every table of ``schema`` into Spark database ``schema`` as a Parquet table."""
    spark.sql(f"create database if not exists {schema}")
    tables = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s "
        "order by table_name",
        (schema,),
    ).fetchall()
    for (table,) in tables:
        cursor = conn.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, table)))
        rows = cursor.fetchall()
        columns = []
        for index, column in enumerate(cursor.description):
            if column.type_code == NUMERIC:
                columns.append(f"{column.name} decimal(38,{_scale(row[index] for row in rows)})")
            else:
                columns.append(f"{column.name} {SPARK_TYPES[column.type_code]}")
        spark.sql(f"drop table if exists {schema}.{table}")
        spark.createDataFrame(rows, ", ".join(columns)).write.format("parquet").saveAsTable(
            f"{schema}.{table}"
        )


def _scale(values: Any) -> int:
    """The most decimal places among ``values`` (Decimals or NULLs)."""
    exponents = [value.as_tuple().exponent for value in values if isinstance(value, Decimal)]
    return max([0, *(-exponent for exponent in exponents if isinstance(exponent, int))])
