"""Core banking: the bank's PostgreSQL database, dropped and rebuilt on every run.

Customers are generated in runs of consecutive customers (see ``core_load``),
and each run's rows are streamed into one COPY per table on connections of the
process that generated them. The large tables travel as blocks of COPY text
(see ``core_rows``); apart from the run at hand, only the month x branch totals
the general ledger needs are kept in memory. Primary keys are added after the
load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from cvw_sources.generate.account_history import AccountMonths, simulate
from cvw_sources.generate.core_rows import (
    ACCOUNT_DIGITS,
    BalanceRows,
    FeeRows,
    LoanRows,
    MonthLabels,
    TransactionRows,
)
from cvw_sources.generate.fees import MonthHoldings, customer_fees
from cvw_sources.generate.formats import rate
from cvw_sources.generate.holdings import Holding
from cvw_sources.generate.ledger import LedgerTotals
from cvw_sources.generate.products import DEPOSIT_FAMILIES, PRODUCTS
from cvw_sources.generate.streams import between
from cvw_sources.generate.transactions import account_transactions
from cvw_sources.generate.window import Window, at
from cvw_sources.generate.world import Customer
from cvw_sources.schema import CORE_BANKING, Table, create_table_sql

PROBABILITY_OF_DEFAULT = {"AAA": 3_00, "AA": 7_00, "A": 15_00, "BBB": 40_00, "BB": 120_00,
                          "B": 500_00, "CCC": 2000_00}  # fmt: skip  # millionths
LOSS_GIVEN_DEFAULT = {"MORT": 250_000}  # millionths; other loans lose 45 %
DEFAULT_LOSS_GIVEN_DEFAULT = 450_000
# How a customer's wallet splits over deposit-like accounts, by product family.
RETAIL_ALLOCATION = {"current_deposit": 1.0, "term_deposit": 1.2, "wealth": 1.8}
CORPORATE_ALLOCATION = {"current_deposit": 1.5, "term_deposit": 1.0, "wealth": 0.8}
STREAMED_TABLES = tuple(table.name for table in CORE_BANKING if table.name != "products")


@dataclass(frozen=True)
class CoreBankingResult:
    rows: dict[str, int]
    ledger: LedgerTotals
    top_4pct_balance_share: float
    top_20pct_balance_share: float


@dataclass(frozen=True)
class IdCounts:
    """Accounts, transactions and fee postings of a run of customers, or of all runs
    before one: the numbering of the next run starts after them."""

    accounts: int = 0
    transactions: int = 0
    fees: int = 0

    def __add__(self, other: IdCounts) -> IdCounts:
        return IdCounts(
            self.accounts + other.accounts,
            self.transactions + other.transactions,
            self.fees + other.fees,
        )


def copy_statement(table: Table) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.column_names))
    )


def create_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        for table in CORE_BANKING:
            admin.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(table.name)))
            admin.execute(create_table_sql(table, table.name))


def finish_tables(
    url: str, rows: Counter[str], window: Window, progress: Callable[[str], None]
) -> tuple[float, float]:
    """Load the products, add the primary keys and gather statistics once every
    customer's rows are in; the balance concentration (see ``balance_shares``)."""
    with psycopg.connect(url, autocommit=True) as admin:
        with admin.cursor() as cursor, cursor.copy(copy_statement(_table("products"))) as copy:
            updated = at(window.start - timedelta(days=30), 8)
            for p in PRODUCTS:
                row = (p.code, p.name, p.family, p.term_months, rate(p.rate_micro), p.is_credit)
                copy.write_row((*row, updated))
        rows["products"] = len(PRODUCTS)
        admin.execute("set maintenance_work_mem = '256MB'")
        for table in CORE_BANKING:
            admin.execute(
                sql.SQL("alter table {} add primary key ({})").format(
                    sql.Identifier(table.name),
                    sql.SQL(", ").join(map(sql.Identifier, table.primary_key)),
                )
            )
            admin.execute(sql.SQL("analyze {}").format(sql.Identifier(table.name)))
            progress(f"core_banking.{table.name}: {rows[table.name]:,} rows")
        return balance_shares(admin, window)


def _table(name: str) -> Table:
    return next(table for table in CORE_BANKING if table.name == name)


def balance_shares(conn: psycopg.Connection, window: Window) -> tuple[float, float]:
    """Shares of all month-end balances at ``as_of`` (deposits, wealth, loans and cards
    alike) held by the top 4 % and top 20 % of the customers still on the books."""
    row = conn.execute(
        """
        with held as (
            select a.customer_id, sum(b.month_end_balance) as balance
            from balances b join accounts a using (account_id)
            where b.balance_date = %(as_of)s
            group by a.customer_id
        ), book as (
            select coalesce(h.balance, 0) as balance
            from customers c left join held h using (customer_id)
            where c.status <> 'closed'
        ), ranked as (
            select balance, row_number() over (order by balance desc) as rank,
                   count(*) over () as customers
            from book
        )
        select sum(balance) filter (where rank <= ceil(customers * 0.04)) / sum(balance),
               sum(balance) filter (where rank <= ceil(customers * 0.20)) / sum(balance)
        from ranked
        """,
        {"as_of": window.as_of},
    ).fetchone()
    if row is None or row[0] is None:
        return 0.0, 0.0
    return round(float(row[0]), 4), round(float(row[1]), 4)


class CustomerRows:
    """Turns a run of consecutive customers into rows of every core-banking table.

    Rows wait in memory until ``send`` is told how many accounts, transactions and
    fee postings the customers before the run have (see ``core_rows``)."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self.rows: Counter[str] = Counter()
        self.ledger = LedgerTotals()
        self.customers: list[tuple[Any, ...]] = []
        self.accounts: list[tuple[int, tuple[Any, ...]]] = []  # (run's account number, row)
        # The nightly batch stamps month-end snapshots at 02:00 the next morning.
        months = MonthLabels(window, [at(end + timedelta(days=1), 2) for end in window.month_ends])
        self.balances = BalanceRows(months)
        self.loans = LoanRows(months, PROBABILITY_OF_DEFAULT)
        self.transactions = TransactionRows()
        self.fees = FeeRows()

    def counts(self) -> IdCounts:
        return IdCounts(len(self.accounts), len(self.transactions), len(self.fees))

    def write(self, customer: Customer, rng: np.random.Generator) -> None:
        """``rng``: the customer's core-banking stream (``Stream.CORE_BANKING``)."""
        self._customer_row(customer)
        onboarded_in = self.window.month_of(customer.onboarded)
        if 0 <= onboarded_in < self.window.months:
            cell = self.ledger.cell(onboarded_in, customer.branch.branch_id)
            cell.new_customers[customer.customer_type] += 1
        trend = rng.normal(0.004, 0.012)
        sizes = _account_sizes(customer, rng)
        month_holdings: list[MonthHoldings] = [{} for _ in self.window.month_ends]
        for holding, size in zip(customer.holdings, sizes, strict=True):
            number = len(self.accounts) + 1
            self._account_row(number, customer, holding)
            history = simulate(holding, customer, self.window, rng, size=size, trend=trend)
            self._balance_rows(number, holding, history)
            if holding.product.family == "loan":
                self._loan_rows(number, customer, holding, history)
            self._transaction_rows(number, customer, holding, history, rng, size)
            for month, average in zip(history.months, history.average, strict=True):
                family = holding.product.family
                month_holdings[month].setdefault(family, (number, average / 100))
        self._fee_rows(customer, month_holdings, rng)

    def send(self, copies: dict[str, psycopg.Copy], before: IdCounts) -> None:
        """Write the run's rows to the COPY of each table; ``before`` counts the accounts,
        transactions and fee postings of all customers before the run."""
        for row in self.customers:
            copies["customers"].write_row(row)
        for number, row in self.accounts:
            account_id = f"A{before.accounts + number:0{ACCOUNT_DIGITS}d}"
            copies["accounts"].write_row((account_id, *row))
        self.rows.update(
            customers=len(self.customers),
            accounts=len(self.accounts),
            balances=len(self.balances),
            loans=len(self.loans),
            transactions=len(self.transactions),
            fee_postings=len(self.fees),
        )
        if len(self.balances) > 0:
            copies["balances"].write(self.balances.encode(before.accounts))
        if len(self.loans) > 0:
            copies["loans"].write(self.loans.encode(before.accounts))
        if len(self.transactions) > 0:
            # Transactions per branch, month and channel: the ledger's activity costs.
            for month, branch_id, channel, count in self.transactions.channel_counts():
                self.ledger.cell(month, branch_id).transactions[channel] += count
            copies["transactions"].write(
                self.transactions.encode(before.accounts, before.transactions)
            )
        if len(self.fees) > 0:
            copies["fee_postings"].write(self.fees.encode(before.accounts, before.fees))
        self.customers.clear()
        self.accounts.clear()

    def _customer_row(self, c: Customer) -> None:
        rating = c.rating_on(self.window.as_of)
        self.customers.append(
            (
                c.customer_id, c.customer_type, c.full_name, c.national_id, c.phone, c.email,
                c.birth_date.isoformat() if c.birth_date else None, c.industry, c.segment,
                c.branch.branch_id, c.branch.region, c.onboarded.isoformat(), c.status,
                c.churn_date.isoformat() if c.churn_date else None, rating,
                c.group.group_id if c.group else None, c.group.role if c.group else None,
                c.updated_at,
            )
        )  # fmt: skip

    def _account_row(self, number: int, customer: Customer, holding: Holding) -> None:
        product = holding.product
        self.accounts.append(
            (
                number,
                (
                    customer.customer_id, product.code, holding.branch_id, "CNY",
                    holding.opened.isoformat(),
                    holding.closed.isoformat() if holding.closed else None,
                    "open" if holding.closed is None else "closed",
                    rate(holding.rate_micro), product.term_months, holding.updated_at,
                ),
            )
        )  # fmt: skip

    def _balance_rows(self, account: int, holding: Holding, history: AccountMonths) -> None:
        self.balances.add(account, history)
        family = holding.product.family
        for month, interest in zip(history.months, history.interest, strict=True):
            cell = self.ledger.cell(month, holding.branch_id)
            cell.account_months += 1
            if family in DEPOSIT_FAMILIES:
                cell.interest_expense[family] += interest
            elif family != "wealth":
                cell.interest_income[family] += interest

    def _loan_rows(
        self, account: int, customer: Customer, holding: Holding, history: AccountMonths
    ) -> None:
        month_ends = self.window.month_ends
        self.loans.add(
            account,
            customer.index + 1,
            history,
            rate_micro=holding.rate_micro,
            term_months=holding.product.term_months,
            loss_micro=LOSS_GIVEN_DEFAULT.get(holding.product.code, DEFAULT_LOSS_GIVEN_DEFAULT),
            ratings=[customer.rating_on(month_ends[month]) or "BBB" for month in history.months],
        )

    def _transaction_rows(
        self,
        account: int,
        customer: Customer,
        holding: Holding,
        history: AccountMonths,
        rng: np.random.Generator,
        size: float,
    ) -> None:
        transactions = account_transactions(
            holding, customer, history, self.window, rng, limit=size
        )
        self.transactions.add(account, customer.index + 1, holding.branch_id, transactions)

    def _fee_rows(
        self,
        customer: Customer,
        month_holdings: list[MonthHoldings],
        rng: np.random.Generator,
    ) -> None:
        branch_id = customer.branch.branch_id
        for month, fee in customer_fees(customer, month_holdings, self.window, rng):
            self.fees.add(customer.index + 1, branch_id, fee)
            self.ledger.cell(month, branch_id).fees[fee.category] += fee.cents


def _account_sizes(customer: Customer, rng: np.random.Generator) -> list[float]:
    """Per holding, in CNY: today's balance (deposits, wealth), the amount lent (loans) or
    the credit limit (cards)."""
    allocation = CORPORATE_ALLOCATION if customer.corporate else RETAIL_ALLOCATION
    weights = [allocation.get(h.product.family, 0.0) for h in customer.holdings]
    total = sum(weights)
    wallet = customer.wallet
    sizes = []
    for holding, weight in zip(customer.holdings, weights, strict=True):
        code = holding.product.code
        if weight > 0:
            size = wallet * weight / total * rng.lognormal(0.0, 0.25)
        elif code == "MORT":
            size = min(6_000_000.0, max(300_000.0, wallet * between(rng, 3, 8)))
        elif code == "LN36":
            size = min(500_000.0, max(10_000.0, wallet * between(rng, 0.2, 1.0)))
        elif code == "LN12":
            size = wallet * between(rng, 0.3, 1.5)
        elif code == "LN60":
            size = wallet * between(rng, 0.8, 2.5)
        elif customer.corporate:  # card
            size = min(2_000_000.0, max(50_000.0, wallet * 0.02))
        else:
            size = min(300_000.0, max(5_000.0, wallet * between(rng, 0.1, 0.4)))
        if holding.product.family in ("loan", "card"):
            size = max(1_000.0, round(size, -3))
        sizes.append(size)
    return sizes
