"""Fee and commission income (中间业务收入) posted to customers, by category."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cvw.generate.streams import between
from cvw.generate.window import Window
from cvw.generate.world import CHANNELS, Customer

FEE_CATEGORIES = (
    "settlement",
    "wealth_management",
    "agency_insurance",
    "cards",
    "e_banking",
    "international",
    "investment_banking",
)
TRADING_INDUSTRIES = frozenset({"manufacturing", "wholesale_retail", "logistics", "energy"})
WEALTH_FEE_PER_YEAR = 0.008
_DIGITAL = (CHANNELS.index("online"), CHANNELS.index("mobile"))


@dataclass(frozen=True, slots=True)
class MonthHoldings:
    """The customer's fee-bearing accounts in one month: (account number, average CNY)."""

    current: tuple[int, float] | None = None
    card: tuple[int, float] | None = None
    wealth: tuple[int, float] | None = None


@dataclass(frozen=True, slots=True)
class Fee:
    category: str
    account: int | None  # the account number, as in ``MonthHoldings``
    cents: int
    posted: date


def fee_days(customer: Customer, window: Window, month: int) -> tuple[date, int] | None:
    """First day and number of days in the month on which the customer was served."""
    first = max(window.month_starts[month], customer.onboarded)
    stop = window.month_ends[month] + timedelta(days=1)
    for limit in (customer.churn_date, customer.dormant_from):
        if limit is not None:
            stop = min(stop, limit)
    days = (stop - first).days
    return (first, days) if days > 0 else None


def monthly_fees(
    customer: Customer,
    holdings: MonthHoldings,
    window: Window,
    month: int,
    rng: np.random.Generator,
) -> list[Fee]:
    served = fee_days(customer, window, month)
    draws = rng.random(len(FEE_CATEGORIES))
    sizes = rng.lognormal(0.0, 0.4, len(FEE_CATEGORIES))
    if served is None:
        return []
    first, days = served
    wallet, corporate = customer.wallet, customer.corporate
    digital = sum(customer.channel_weights[c] for c in _DIGITAL)
    amounts: dict[str, tuple[float, int | None]] = {}
    current_account = holdings.current[0] if holdings.current else None
    if holdings.current:
        if corporate:
            amounts["settlement"] = (max(50.0, wallet * 0.00015), current_account)
        elif draws[0] < 0.5:
            amounts["settlement"] = (between(rng, 2, 15), current_account)
    if holdings.wealth and holdings.wealth[1] > 0:
        fee = holdings.wealth[1] * WEALTH_FEE_PER_YEAR / 12
        amounts["wealth_management"] = (fee, holdings.wealth[0])
    insurance_rate = {"mass": 0.01, "affluent": 0.04, "private": 0.05}.get(customer.segment, 0.02)
    if draws[2] < insurance_rate:
        amounts["agency_insurance"] = (max(100.0, wallet * between(rng, 0.001, 0.01)), None)
    if holdings.card and draws[3] < 0.6:
        amounts["cards"] = (max(10.0, holdings.card[1] * 0.004), holdings.card[0])
    if draws[4] < (0.8 if corporate else 0.3 * digital):
        fee = 200 + wallet * 0.00002 if corporate else between(rng, 2, 10)
        amounts["e_banking"] = (fee, current_account if corporate else None)
    trader = corporate and customer.industry in TRADING_INDUSTRIES
    if draws[5] < (0.5 if trader else 0.1 if corporate else 0.01):
        fee = wallet * 0.0003 if corporate else between(rng, 20, 200)
        amounts["international"] = (max(20.0, fee), current_account)
    banking_rate = {"large": 0.05, "mid_market": 0.02, "sme": 0.003}.get(customer.segment, 0.0)
    if draws[6] < banking_rate:
        amounts["investment_banking"] = (wallet * between(rng, 0.002, 0.008), None)
    fees = []
    for index, category in enumerate(FEE_CATEGORIES):
        if category in amounts:
            amount, account = amounts[category]
            cents = max(1, round(amount * sizes[index] * 100))
            posted = first + timedelta(days=int(rng.integers(days)))
            fees.append(Fee(category, account, cents, posted))
    return fees
