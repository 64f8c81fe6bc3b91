"""The general ledger: customer activity summed per branch, plus what no customer owns.

Customer interest and fees reach the ledger as per-branch, per-month totals of
the core-banking figures, so the ledger ties out to core banking to the cent.
Treasury interest, head-office fees and all operating expense are posted on top:
they belong to no customer and form the "unallocated" line of a reconciliation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from cvw_sources.generate.finance_reference import HEAD_OFFICE, TREASURY, channel_activity
from cvw_sources.generate.geography import BRANCHES
from cvw_sources.generate.streams import between
from cvw_sources.generate.window import Window

GL_ACCOUNTS = {
    "interest_income": "6011",
    "interest_expense": "6411",
    "fee_income": "6021",
    "staff": "6601",
    "premises": "6602",
    "it": "6603",
    "marketing": "6604",
    "onboarding": "6605",
}
INTEREST_INCOME_FAMILIES = {"loan": "Loan interest accrual", "card": "Card interest accrual"}
INTEREST_EXPENSE_FAMILIES = {
    "current_deposit": "Current deposit interest accrual",
    "term_deposit": "Term deposit interest accrual",
}
# Operating expense the activity costs do not explain, per account-month, in CNY, and the
# rent every branch pays whatever its size.
BRANCH_RENT = 8_000.0
STAFF_PER_ACCOUNT_MONTH = 150.0
PREMISES_PER_ACCOUNT_MONTH = 60.0
IT_PER_ACCOUNT_MONTH = 40.0
HEAD_OFFICE_OPEX_SHARE = 0.12
TREASURY_OPEX_SHARE = 0.02
OPEX_DAYS = {"staff": 25, "premises": 5, "it": 15}
# What winning a customer costs, in CNY: the branch's account opening, KYC and welcome
# pack per new customer (retail, corporate), and the head office's campaigns, a fixed
# monthly budget plus what each customer the campaigns bring in costs. Together about
# five times a year of keeping a customer, the ratio management quotes.
ONBOARDING_PER_NEW_CUSTOMER = {"retail": 350.0, "corporate": 2_500.0}
MARKETING_PER_NEW_CUSTOMER = 900.0
MARKETING_MONTHLY_BUDGET = 30_000.0
MARKETING_DAY = 20


@dataclass(slots=True)
class BranchMonth:
    """Core-banking totals of one branch in one month (interest and fees in cents)."""

    interest_income: Counter[str] = field(default_factory=Counter)  # by product family
    interest_expense: Counter[str] = field(default_factory=Counter)  # by product family
    fees: Counter[str] = field(default_factory=Counter)  # by fee category
    transactions: Counter[str] = field(default_factory=Counter)  # by channel
    account_months: int = 0
    new_customers: Counter[str] = field(default_factory=Counter)  # onboarded, by customer type


class LedgerTotals:
    """The only aggregate the generator keeps while streaming customers: month x branch."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, str], BranchMonth] = {}

    def cell(self, month: int, branch_id: str) -> BranchMonth:
        key = (month, branch_id)
        if key not in self._cells:
            self._cells[key] = BranchMonth()
        return self._cells[key]

    def get(self, month: int, branch_id: str) -> BranchMonth:
        return self._cells.get((month, branch_id), BranchMonth())

    def add(self, other: LedgerTotals) -> None:
        """Add the totals of another run of customers (all amounts are whole cents and
        counts, so the order in which runs are added does not matter)."""
        for (month, branch_id), theirs in other._cells.items():
            ours = self.cell(month, branch_id)
            ours.interest_income.update(theirs.interest_income)
            ours.interest_expense.update(theirs.interest_expense)
            ours.fees.update(theirs.fees)
            ours.transactions.update(theirs.transactions)
            ours.account_months += theirs.account_months
            ours.new_customers.update(theirs.new_customers)


@dataclass(frozen=True, slots=True)
class Posting:
    posting_date: str  # ISO date; unparseable on deliberately broken rows
    gl_account: str
    gl_line: str
    cost_center_id: str
    cents: int
    description: str


def month_postings(
    totals: LedgerTotals,
    window: Window,
    month: int,
    costs: dict[str, int],
    rng: np.random.Generator,
    rm_pay_cents: Mapping[str, int],
) -> list[Posting]:
    """All ledger postings of one month; every amount is positive in its natural direction.

    ``rm_pay_cents`` is the month's relationship-manager pay per branch: booked as staff
    cost of the branch, it is what the contribution mart allocates to customers as RM cost.
    """
    month_end = window.month_ends[month]
    closing = month_end.isoformat()
    postings: list[Posting] = []
    branch_opex = 0
    lending_interest = deposit_interest = fees = new_customers = 0
    for branch in BRANCHES:
        cell = totals.get(month, branch.branch_id)
        center = branch.cost_center_id
        for family, description in INTEREST_INCOME_FAMILIES.items():
            cents = cell.interest_income[family]
            lending_interest += cents
            if cents > 0:
                postings.append(_post(closing, "interest_income", center, cents, description))
        for family, description in INTEREST_EXPENSE_FAMILIES.items():
            cents = cell.interest_expense[family]
            deposit_interest += cents
            if cents > 0:
                postings.append(_post(closing, "interest_expense", center, cents, description))
        for category, cents in sorted(cell.fees.items()):
            fees += cents
            if cents > 0:
                description = f"Fee and commission income: {category}"
                postings.append(_post(closing, "fee_income", center, cents, description))
        activity = sum(
            count * costs[channel_activity(channel)] for channel, count in cell.transactions.items()
        )
        activity += cell.account_months * costs["account_upkeep"]
        opex = {
            "staff": activity * between(rng, 0.9, 1.1)
            + cell.account_months * STAFF_PER_ACCOUNT_MONTH * 100,
            "premises": (BRANCH_RENT + cell.account_months * PREMISES_PER_ACCOUNT_MONTH)
            * 100
            * between(rng, 0.9, 1.1),
            "it": cell.account_months * IT_PER_ACCOUNT_MONTH * 100 * between(rng, 0.9, 1.1),
        }
        branch_opex += sum(round(v) for v in opex.values())
        postings += _opex(month_end, center, opex)
        onboarding = sum(
            count * ONBOARDING_PER_NEW_CUSTOMER[kind] for kind, count in cell.new_customers.items()
        )
        new_customers += cell.new_customers.total()
        if onboarding > 0:
            postings.append(
                _acquisition(month_end, "onboarding", center, onboarding * between(rng, 0.9, 1.1))
            )
        rm_pay = rm_pay_cents.get(branch.branch_id, 0)
        if rm_pay > 0:
            day = month_end.replace(day=OPEX_DAYS["staff"]).isoformat()
            postings.append(Posting(day, GL_ACCOUNTS["staff"], "operating_expense", center,
                                    rm_pay, "Relationship manager salaries"))  # fmt: skip

    postings.append(
        _post(
            closing,
            "interest_income",
            TREASURY,
            round(lending_interest * between(rng, 0.2, 0.35) + 5_000_000 * between(rng, 0.8, 1.2)),
            "Interbank and bond interest",
        )
    )
    postings.append(
        _post(
            closing,
            "interest_expense",
            TREASURY,
            round(deposit_interest * between(rng, 0.1, 0.2) + 2_000_000 * between(rng, 0.8, 1.2)),
            "Interbank funding interest",
        )
    )
    postings.append(
        _post(
            closing,
            "fee_income",
            HEAD_OFFICE,
            round(fees * between(rng, 0.03, 0.08) + 500_000 * between(rng, 0.8, 1.2)),
            "Custody and advisory fees",
        )
    )
    campaigns = MARKETING_MONTHLY_BUDGET + new_customers * MARKETING_PER_NEW_CUSTOMER
    campaigns *= between(rng, 0.9, 1.1)
    postings.append(_acquisition(month_end, "marketing", HEAD_OFFICE, campaigns))
    for center, share in ((HEAD_OFFICE, HEAD_OFFICE_OPEX_SHARE), (TREASURY, TREASURY_OPEX_SHARE)):
        total = branch_opex * share
        postings += _opex(
            month_end, center, {"staff": total * 0.6, "premises": total * 0.15, "it": total * 0.25}
        )
    return postings


def _post(day: str, line: str, center: str, cents: int, description: str) -> Posting:
    return Posting(day, GL_ACCOUNTS[line], line, center, cents, description)


def _acquisition(month_end: date, kind: str, center: str, amount: float) -> Posting:
    descriptions = {"marketing": "Marketing campaigns", "onboarding": "Customer onboarding"}
    day = month_end.replace(day=MARKETING_DAY).isoformat()
    return Posting(
        day, GL_ACCOUNTS[kind], "operating_expense", center, round(amount * 100), descriptions[kind]
    )


def _opex(month_end: date, center: str, amounts: dict[str, float]) -> list[Posting]:
    descriptions = {"staff": "Staff costs", "premises": "Premises and rent", "it": "IT and systems"}
    return [
        Posting(
            month_end.replace(day=OPEX_DAYS[kind]).isoformat(),
            GL_ACCOUNTS[kind],
            "operating_expense",
            center,
            max(1, round(amount)),
            descriptions[kind],
        )
        for kind, amount in amounts.items()
    ]


def broken_postings(
    window: Window, month: int, count: int, rng: np.random.Generator
) -> list[Posting]:
    """Rows whose posting date cannot be parsed, as a faulty export produces them."""
    year = window.month_ends[month].year
    lines = ("interest_income", "interest_expense", "fee_income", "operating_expense")
    postings = []
    for _ in range(count):
        line = lines[int(rng.integers(len(lines)))]
        branch = BRANCHES[int(rng.integers(len(BRANCHES)))]
        account = GL_ACCOUNTS["staff" if line == "operating_expense" else line]
        postings.append(
            Posting(
                f"{year}-13-{int(rng.integers(32, 60))}",
                account,
                line,
                branch.cost_center_id,
                int(rng.integers(10_000, 1_000_000)),
                "Manual adjustment",
            )
        )
    return postings
