"""Fee and commission income (中间业务收入) posted to customers, by category."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cvw_sources.generate.streams import between
from cvw_sources.generate.window import Window
from cvw_sources.generate.world import CHANNELS, Customer

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
_CATEGORY_INDEX = {category: index for index, category in enumerate(FEE_CATEGORIES)}


MonthHoldings = dict[str, tuple[int, float]]
"""The customer's fee-bearing accounts in one month by product family ("current_deposit",
"card", "wealth"): (account number, average balance in CNY)."""

_INSURANCE_RATES = {"mass": 0.01, "affluent": 0.04, "private": 0.05}
_BANKING_RATES = {"large": 0.05, "mid_market": 0.02, "sme": 0.003}


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


def customer_fees(
    customer: Customer,
    month_holdings: list[MonthHoldings],
    window: Window,
    rng: np.random.Generator,
) -> Iterator[tuple[int, Fee]]:
    """(window month, fee) of every fee the customer pays, month by month."""
    wallet, corporate = customer.wallet, customer.corporate
    digital = sum(customer.channel_weights[c] for c in _DIGITAL)
    insurance_rate = _INSURANCE_RATES.get(customer.segment, 0.02)
    e_banking_rate = 0.8 if corporate else 0.3 * digital
    trader = corporate and customer.industry in TRADING_INDUSTRIES
    international_rate = 0.5 if trader else 0.1 if corporate else 0.01
    banking_rate = _BANKING_RATES.get(customer.segment, 0.0)
    for month, held in enumerate(month_holdings):
        # Drawn whether or not the customer was served, so each month uses the same draws.
        draws = rng.random(len(FEE_CATEGORIES)).tolist()
        sizes = rng.lognormal(0.0, 0.4, len(FEE_CATEGORIES)).tolist()
        served = fee_days(customer, window, month)
        if served is None:
            continue
        first, days = served
        current, card, wealth = (
            held.get("current_deposit"),
            held.get("card"),
            held.get("wealth"),
        )
        current_account = current[0] if current else None
        # In the order of FEE_CATEGORIES: amount in CNY and account of each fee charged.
        amounts: list[tuple[str, float, int | None]] = []
        if current:
            if corporate:
                amounts.append(("settlement", max(50.0, wallet * 0.00015), current_account))
            elif draws[0] < 0.5:
                amounts.append(("settlement", between(rng, 2, 15), current_account))
        if wealth and wealth[1] > 0:
            fee = wealth[1] * WEALTH_FEE_PER_YEAR / 12
            amounts.append(("wealth_management", fee, wealth[0]))
        if draws[2] < insurance_rate:
            fee = max(100.0, wallet * between(rng, 0.001, 0.01))
            amounts.append(("agency_insurance", fee, None))
        if card and draws[3] < 0.6:
            amounts.append(("cards", max(10.0, card[1] * 0.004), card[0]))
        if draws[4] < e_banking_rate:
            fee = 200 + wallet * 0.00002 if corporate else between(rng, 2, 10)
            amounts.append(("e_banking", fee, current_account if corporate else None))
        if draws[5] < international_rate:
            fee = wallet * 0.0003 if corporate else between(rng, 20, 200)
            amounts.append(("international", max(20.0, fee), current_account))
        if draws[6] < banking_rate:
            fee = wallet * between(rng, 0.002, 0.008)
            amounts.append(("investment_banking", fee, None))
        for category, amount, account in amounts:
            cents = max(1, round(amount * sizes[_CATEGORY_INDEX[category]] * 100))
            posted = first + timedelta(days=int(rng.integers(days)))
            yield month, Fee(category, account, cents, posted)
