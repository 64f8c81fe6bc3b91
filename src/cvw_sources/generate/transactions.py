"""Account transactions: how often a customer transacts, through which channel, how much."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from cvw_sources.generate.account_history import AccountMonths
from cvw_sources.generate.holdings import Holding
from cvw_sources.generate.window import Window, epoch_seconds, month_end
from cvw_sources.generate.world import CHANNELS, Customer

TYPES = ("deposit", "withdrawal", "transfer", "payment")
_TYPE_MIX = {
    ("current_deposit", "retail"): (0.25, 0.25, 0.3, 0.2),
    ("current_deposit", "corporate"): (0.25, 0.05, 0.5, 0.2),
    ("card", "retail"): (0.0, 0.0, 0.08, 0.92),
    ("card", "corporate"): (0.0, 0.0, 0.1, 0.9),
    ("term_deposit", "retail"): (0.5, 0.5, 0.0, 0.0),
    ("term_deposit", "corporate"): (0.5, 0.5, 0.0, 0.0),
    ("wealth", "retail"): (0.0, 0.0, 1.0, 0.0),
    ("wealth", "corporate"): (0.0, 0.0, 1.0, 0.0),
}
_ATM, _MOBILE, _ONLINE = CHANNELS.index("atm"), CHANNELS.index("mobile"), CHANNELS.index("online")
_PAYMENT = TYPES.index("payment")
_IS_CASH = np.isin(np.arange(len(TYPES)), (TYPES.index("deposit"), TYPES.index("withdrawal")))
ATM_LIMIT_CENTS = 2_000_000
MIN_AMOUNT_CENTS = 100


@dataclass(frozen=True, slots=True)
class AccountTransactions:
    """The transactions of one account over the window, in posting order."""

    months: np.ndarray  # window month
    posted: np.ndarray  # seconds from the epoch
    channels: np.ndarray  # index into CHANNELS
    types: np.ndarray  # index into TYPES
    amounts: np.ndarray  # cents

    def __len__(self) -> int:
        return len(self.amounts)


def weighted_choice_cdf(weights: Sequence[float]) -> np.ndarray:
    """The cumulative weights ``Generator.choice(n, size, p=weights)`` searches, so that
    ``cdf.searchsorted(rng.random(size), side="right")`` draws exactly what it draws."""
    cdf = np.asarray(weights, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf


_TYPE_CDFS = {key: weighted_choice_cdf(mix) for key, mix in _TYPE_MIX.items()}
_NO_TRANSACTIONS = AccountTransactions(*(np.zeros(0, dtype=np.int64) for _ in range(5)))


def monthly_rate(holding: Holding, customer: Customer) -> float:
    """Expected transactions in a full active month."""
    family = holding.product.family
    if family == "current_deposit":
        # Customers who bank on their phone or online move money more often.
        digital = sum(customer.channel_weights[c] for c in (_ONLINE, _MOBILE))
        intensity = customer.activity * (0.8 + 0.5 * digital)
        if customer.corporate:
            return intensity * (12 + 12 * math.log10(1 + customer.wallet / 500_000))
        return intensity * (6 + 4 * math.log10(1 + customer.wallet / 20_000))
    if family == "card":
        return customer.activity * (12.0 if customer.corporate else 8.0)
    if family == "term_deposit":
        return 0.08
    if family == "wealth":
        return 0.25
    return 0.0


def active_bounds(holding: Holding, customer: Customer) -> tuple[int, int | None]:
    """Seconds from which, and (if ever) up to which, the account can move money."""
    stops = [epoch_seconds(day) for day in (holding.closed, customer.dormant_from) if day]
    return epoch_seconds(holding.opened), min(stops, default=None)


def account_transactions(
    holding: Holding,
    customer: Customer,
    history: AccountMonths,
    window: Window,
    rng: np.random.Generator,
    *,
    limit: float,
) -> AccountTransactions:
    if holding.product.family == "loan":
        return _repayments(holding, history, window)
    rate = monthly_rate(holding, customer)
    months, counts, averages = [], [], []
    seconds, uniforms, sizes = [], [], []
    # Only the draws are made month by month, in the order that fixes the random stream;
    # everything computed from them is done once for the whole account.
    opened, stopped = active_bounds(holding, customer)
    month_starts, month_stops = window.month_start_seconds, window.month_stop_seconds
    poisson, integers, uniform, lognormal = rng.poisson, rng.integers, rng.random, rng.lognormal
    for month, average in zip(history.months, history.average, strict=True):
        start, month_stop = month_starts[month], month_stops[month]
        first = start if start > opened else opened
        stop = month_stop if stopped is None or month_stop < stopped else stopped
        if stop <= first:
            continue
        count = int(poisson(rate * ((stop - first) / (month_stop - start))))
        if count == 0:
            continue
        seconds.append(integers(first, stop, size=count))
        # The channel and then the type: a weighted choice draws one uniform number each.
        uniforms.append(uniform(2 * count))
        sizes.append(lognormal(0.0, 0.9, size=count))
        months.append(month)
        counts.append(count)
        averages.append(average)
    if not counts:
        return _NO_TRANSACTIONS
    draws = np.concatenate(uniforms)
    # Each month's draws are its channels, then its types.
    is_type = np.repeat(np.tile([False, True], len(counts)), np.repeat(counts, 2))
    channel_cdf = weighted_choice_cdf(customer.channel_weights)
    channels = channel_cdf.searchsorted(draws[~is_type], side="right")
    type_cdf = _TYPE_CDFS[(holding.product.family, customer.customer_type)]
    types = type_cdf.searchsorted(draws[is_type], side="right")
    typical = _typical_amounts(holding, np.array(averages) / 100, limit)
    typical_cents = np.repeat(typical * 100, counts)
    scaled = np.round(typical_cents * np.concatenate(sizes))
    amounts = np.maximum(MIN_AMOUNT_CENTS, scaled).astype(np.int64)
    # Only cash moves through an ATM; other ATM-minded customers use the app.
    channels[(channels == _ATM) & ~_IS_CASH[types]] = _MOBILE
    at_atm = channels == _ATM
    amounts[at_atm] = np.clip(amounts[at_atm] // 10_000 * 10_000, 10_000, ATM_LIMIT_CENTS)
    # Months follow one another, so sorting all posting times sorts each month's.
    posted = np.sort(np.concatenate(seconds))
    return AccountTransactions(np.repeat(months, counts), posted, channels, types, amounts)


def _typical_amounts(holding: Holding, averages: np.ndarray, limit: float) -> np.ndarray:
    """The typical transaction of each month in CNY, from the month's average balance."""
    family = holding.product.family
    if family == "card":
        return np.full(len(averages), max(20.0, limit * 0.03))
    if family == "current_deposit":
        return np.maximum(50.0, averages * 0.15)
    return np.maximum(100.0, averages * 0.2)


def _repayments(holding: Holding, history: AccountMonths, window: Window) -> AccountTransactions:
    """One instalment a month on the loan's anniversary day: interest plus principal."""
    months, posted, amounts = [], [], []
    for index, month in enumerate(history.months):
        start = window.month_starts[month]
        if holding.opened >= start:
            continue
        due = _anniversary(holding.opened, start)
        if holding.closed is not None and due > holding.closed:
            due = holding.closed
        if index > 0:
            principal_paid = max(0, history.end[index - 1] - history.end[index])
        elif holding.product.amortizing:
            principal_paid = history.principal // holding.product.term_months
        else:
            principal_paid = 0
        months.append(month)
        posted.append(epoch_seconds(due) + 6 * 3600)
        amounts.append(max(MIN_AMOUNT_CENTS, history.interest[index] + principal_paid))
    count = len(months)
    return AccountTransactions(
        np.array(months, dtype=np.int64),
        np.array(posted, dtype=np.int64),
        np.full(count, _ONLINE),
        np.full(count, _PAYMENT),
        np.array(amounts, dtype=np.int64),
    )


def _anniversary(opened: date, month_start: date) -> date:
    last_day = month_end(month_start.year, month_start.month).day
    return month_start.replace(day=min(opened.day, last_day))
