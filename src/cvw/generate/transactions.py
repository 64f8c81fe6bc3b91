"""Account transactions: how often a customer transacts, through which channel, how much."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cvw.generate.account_history import AccountMonths
from cvw.generate.holdings import Holding
from cvw.generate.window import SECONDS_PER_DAY, Window, epoch_seconds, iso_timestamp, month_end
from cvw.generate.world import CHANNELS, Customer

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
_CASH_TYPES = (TYPES.index("deposit"), TYPES.index("withdrawal"))
ATM_LIMIT_CENTS = 2_000_000
MIN_AMOUNT_CENTS = 100


@dataclass(frozen=True, slots=True)
class TransactionBatch:
    """The transactions of one account in one month, in posting order."""

    month: int
    posted_at: list[str]
    channels: list[str]
    types: list[str]
    amounts: list[int]  # cents


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


def active_span(
    holding: Holding, customer: Customer, window: Window, month: int
) -> tuple[int, int] | None:
    """Seconds [from, to) of the month in which the account can move money."""
    first = max(window.month_starts[month], holding.opened)
    stop = window.month_ends[month] + timedelta(days=1)
    for limit in (holding.closed, customer.dormant_from):
        if limit is not None:
            stop = min(stop, limit)
    if stop <= first:
        return None
    return epoch_seconds(first), epoch_seconds(stop)


def account_transactions(
    holding: Holding,
    customer: Customer,
    history: AccountMonths,
    window: Window,
    rng: np.random.Generator,
    *,
    limit: float,
) -> Iterator[TransactionBatch]:
    if holding.product.family == "loan":
        yield from _repayments(holding, history, window)
        return
    rate = monthly_rate(holding, customer)
    mix = _TYPE_MIX[(holding.product.family, customer.customer_type)]
    weights = np.asarray(customer.channel_weights)
    for month, average in zip(history.months, history.average, strict=True):
        span = active_span(holding, customer, window, month)
        if span is None:
            continue
        fraction = (span[1] - span[0]) / (window.days_in(month) * SECONDS_PER_DAY)
        count = int(rng.poisson(rate * fraction))
        if count == 0:
            continue
        seconds = np.sort(rng.integers(span[0], span[1], size=count))
        channels = rng.choice(len(CHANNELS), size=count, p=weights)
        types = rng.choice(len(TYPES), size=count, p=mix)
        typical = _typical_amount(holding, average / 100, limit)
        amounts = np.maximum(
            MIN_AMOUNT_CENTS, np.round(typical * 100 * rng.lognormal(0.0, 0.9, size=count))
        ).astype(np.int64)
        cash = np.isin(types, _CASH_TYPES)
        # Only cash moves through an ATM; other ATM-minded customers use the app.
        channels[(channels == _ATM) & ~cash] = _MOBILE
        at_atm = channels == _ATM
        amounts[at_atm] = np.clip(amounts[at_atm] // 10_000 * 10_000, 10_000, ATM_LIMIT_CENTS)
        stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
        yield TransactionBatch(
            month,
            [f"{stamp}+00:00" for stamp in stamps],
            [CHANNELS[c] for c in channels],
            [TYPES[t] for t in types],
            amounts.tolist(),
        )


def _typical_amount(holding: Holding, average: float, limit: float) -> float:
    family = holding.product.family
    if family == "card":
        return max(20.0, limit * 0.03)
    if family == "current_deposit":
        return max(50.0, average * 0.15)
    return max(100.0, average * 0.2)


def _repayments(
    holding: Holding, history: AccountMonths, window: Window
) -> Iterator[TransactionBatch]:
    """One instalment a month on the loan's anniversary day: interest plus principal."""
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
        amount = max(MIN_AMOUNT_CENTS, history.interest[index] + principal_paid)
        posted = iso_timestamp(epoch_seconds(due) + 6 * 3600)
        yield TransactionBatch(month, [posted], [CHANNELS[_ONLINE]], ["payment"], [amount])


def _anniversary(opened: date, month_start: date) -> date:
    last_day = month_end(month_start.year, month_start.month).day
    return month_start.replace(day=min(opened.day, last_day))
