"""Month-end balances, interest and delinquency of one account over the window.

Balances are whole cents. ``average_balance`` is the average daily balance over
the calendar month (days before opening or after closing count as zero), so
``interest_accrued = round(average_balance * rate * days_in_month / 365, 2)``
holds for every account that pays or earns interest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from cvw_sources.generate.holdings import Holding
from cvw_sources.generate.streams import between
from cvw_sources.generate.window import Window
from cvw_sources.generate.world import Customer

# Monthly volatility of the balance's log level by product family.
VOLATILITY = {"current_deposit": 0.10, "term_deposit": 0.02, "wealth": 0.05}
CORPORATE_CURRENT_VOLATILITY = 0.15
# Balances shrink over the last three months before a customer leaves (衰退期).
PRE_CHURN_FACTORS = (0.75, 0.5, 0.3)
DORMANT_BALANCE_MAX_CENTS = 5_000
# Monthly chance that a performing loan falls behind, by the borrower's rating.
DELINQUENCY_ONSET = {"AAA": 0.002, "AA": 0.004, "A": 0.008, "BBB": 0.015, "BB": 0.035,
                     "B": 0.07, "CCC": 0.15}  # fmt: skip
DELINQUENCY_CURE = 0.5
DELINQUENCY_ROLL = 0.35
MAX_DAYS_PAST_DUE = 360


def interest_cents(average_cents: int, rate_micro: int, days: int) -> int:
    """``round(average * rate * days / 365, 2)`` in exact integer arithmetic, half up."""
    denominator = 365 * 1_000_000
    return (2 * average_cents * rate_micro * days + denominator) // (2 * denominator)


@dataclass(slots=True)
class AccountMonths:
    """One account's rows for the window months in which it was open on some day."""

    months: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)  # cents
    average: list[int] = field(default_factory=list)  # cents
    interest: list[int] = field(default_factory=list)  # cents
    days_past_due: list[int] = field(default_factory=list)  # loans only
    principal: int = 0  # loans: the amount lent, cents


def open_days(holding: Holding, window: Window, month: int) -> int | None:
    """Days the account was open in a window month, or None if the month has no row.

    The month in which an account closes keeps a row (its final, zero balance)."""
    start, end = window.month_starts[month], window.month_ends[month]
    if holding.opened > end or (holding.closed is not None and holding.closed < start):
        return None
    first = max(start, holding.opened)
    stop = min(end + timedelta(days=1), holding.closed or date.max)
    return max(0, (stop - first).days)


def simulate(
    holding: Holding,
    customer: Customer,
    window: Window,
    rng: np.random.Generator,
    *,
    size: float,
    trend: float,
) -> AccountMonths:
    """``size`` is the balance at ``as_of`` (deposits, wealth), the amount lent (loans)
    or the credit limit (cards), in CNY."""
    family = holding.product.family
    if family == "loan":
        return _loan(holding, customer, window, rng, size)
    if family == "card":
        return _card(holding, window, rng, size)
    return _deposit(holding, customer, window, rng, size, trend)


def _levels(
    customer: Customer,
    window: Window,
    rng: np.random.Generator,
    size: float,
    sigma: float,
    trend: float,
) -> list[float]:
    """Month-end levels in CNY for the month before the window and each window month."""
    steps = trend + rng.normal(0.0, sigma, window.months + 1)
    log_levels = np.cumsum(steps)
    levels = [size * math.exp(x) for x in log_levels - log_levels[-1]]
    if customer.churn_date is not None:
        churn_month = window.month_of(customer.churn_date)
        for offset, factor in enumerate(PRE_CHURN_FACTORS):
            month = churn_month - len(PRE_CHURN_FACTORS) + offset
            if 0 <= month < window.months:
                levels[month + 1] *= factor
    return levels


def _deposit(
    holding: Holding,
    customer: Customer,
    window: Window,
    rng: np.random.Generator,
    size: float,
    trend: float,
) -> AccountMonths:
    family = holding.product.family
    sigma = VOLATILITY[family]
    if customer.corporate and family == "current_deposit":
        sigma = CORPORATE_CURRENT_VOLATILITY
    levels = _levels(customer, window, rng, size, sigma, trend)
    result = AccountMonths()
    for month in range(window.months):
        days_open = open_days(holding, window, month)
        if days_open is None:
            continue
        days = window.days_in(month)
        start, month_end = window.month_starts[month], window.month_ends[month]
        dormant_all_month = customer.dormant_on(start)
        prev = 0.0 if holding.opened >= start else levels[month]
        end = levels[month + 1]
        if dormant_all_month or customer.dormant_on(month_end):
            end = int(rng.integers(DORMANT_BALANCE_MAX_CENTS)) / 100
            if dormant_all_month:
                prev = end
        fraction = days_open / days
        if holding.closed is not None and holding.closed <= month_end:
            average, end = prev * fraction * between(rng, 0.5, 1.0), 0.0
        elif holding.opened >= start:
            average = end * fraction * between(rng, 0.5, 1.0)
        else:
            average = (prev + end) / 2 * math.exp(rng.normal(0.0, 0.05))
        _append(result, holding, month, days, end, average)
    return result


def _loan(
    holding: Holding,
    customer: Customer,
    window: Window,
    rng: np.random.Generator,
    principal: float,
) -> AccountMonths:
    term = holding.product.term_months
    amortizing = holding.product.amortizing

    def outstanding(day: date) -> float:
        if not amortizing:
            return principal
        elapsed = (day - holding.opened).days / 30.4375
        return principal * max(0.0, 1.0 - elapsed / term)

    result = AccountMonths(principal=round(principal * 100))
    days_past_due = 0
    for month in range(window.months):
        days_open = open_days(holding, window, month)
        if days_open is None:
            continue
        days = window.days_in(month)
        start, month_end = window.month_starts[month], window.month_ends[month]
        first_day = max(start, holding.opened)
        last_day = first_day + timedelta(days=max(0, days_open - 1))
        closing = holding.closed is not None and holding.closed <= month_end
        end = 0.0 if closing else outstanding(month_end)
        average = (outstanding(first_day) + outstanding(last_day)) / 2 * days_open / days
        _append(result, holding, month, days, end, average)
        days_past_due = _next_days_past_due(
            rng, days_past_due, customer.rating_on(month_end) or "BBB", days
        )
        result.days_past_due.append(0 if closing else days_past_due)
    return result


def _next_days_past_due(rng: np.random.Generator, current: int, rating: str, days: int) -> int:
    draw = rng.random()
    if current == 0:
        return int(rng.integers(1, 30)) if draw < DELINQUENCY_ONSET[rating] else 0
    if draw < DELINQUENCY_CURE:
        return 0
    if draw < DELINQUENCY_CURE + DELINQUENCY_ROLL:
        return min(MAX_DAYS_PAST_DUE, current + days)
    return current


def _card(
    holding: Holding, window: Window, rng: np.random.Generator, limit: float
) -> AccountMonths:
    utilisation = rng.beta(1.5, 4.0, window.months + 1)
    result = AccountMonths()
    for month in range(window.months):
        days_open = open_days(holding, window, month)
        if days_open is None:
            continue
        days = window.days_in(month)
        start, month_end = window.month_starts[month], window.month_ends[month]
        closing = holding.closed is not None and holding.closed <= month_end
        end = 0.0 if closing else limit * utilisation[month + 1]
        prev = 0.0 if holding.opened >= start else limit * utilisation[month]
        average = (prev + end) / 2 if days_open == days else max(prev, end) * days_open / days
        _append(result, holding, month, days, end, average)
    return result


def _append(
    result: AccountMonths, holding: Holding, month: int, days: int, end: float, average: float
) -> None:
    end_cents = round(end * 100)
    average_cents = round(average * 100)
    result.months.append(month)
    result.end.append(end_cents)
    result.average.append(average_cents)
    if holding.product.family == "wealth":
        result.interest.append(0)
    else:
        result.interest.append(interest_cents(average_cents, holding.rate_micro, days))
