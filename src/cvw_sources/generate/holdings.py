"""Which products a customer holds, and when each account opened and closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cvw_sources.generate.geography import BRANCH_CHOICE
from cvw_sources.generate.products import PRODUCT_BY_CODE, Product
from cvw_sources.generate.streams import Choice, between
from cvw_sources.generate.window import Window, add_months, epoch_seconds, iso_timestamp

MAX_ACCOUNTS = 6
TERM_DEPOSITS = Choice(("TD03", "TD06", "TD12", "TD36"), (0.2, 0.25, 0.4, 0.15))
# Share of customers of a segment holding the product (dormant customers hold deposits only).
HOLDING_RATES = {
    "WLTH": {"mass": 0.05, "affluent": 0.5, "private": 0.9,
             "sme": 0.05, "mid_market": 0.15, "large": 0.3},
    "CARD": {"mass": 0.35, "affluent": 0.5, "private": 0.6,
             "sme": 0.1, "mid_market": 0.2, "large": 0.3},
    "MORT": {"mass": 0.12, "affluent": 0.2, "private": 0.15},
    "LN36": {"mass": 0.1, "affluent": 0.06, "private": 0.03},
    "LN12": {"sme": 0.35, "mid_market": 0.55, "large": 0.6},
    "LN60": {"sme": 0.08, "mid_market": 0.25, "large": 0.45},
}  # fmt: skip
# Chance of a first and a second term deposit.
TERM_DEPOSIT_RATES = {
    "mass": (0.35, 0.0), "affluent": (1.0, 0.5), "private": (1.0, 0.7),
    "sme": (0.3, 0.0), "mid_market": (0.6, 0.3), "large": (0.8, 0.5),
}  # fmt: skip
# Loan pricing over the standard rate by internal rating, in millionths.
RATING_SPREADS = {"AAA": -4_000, "AA": -2_500, "A": -1_000, "BBB": 2_000, "BB": 6_000,
                  "B": 12_000, "CCC": 20_000}  # fmt: skip
OTHER_BRANCH_SHARE = 0.08
WEALTH_REDEMPTION_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Holding:
    product: Product
    opened: date
    closed: date | None
    branch_id: str
    rate_micro: int
    updated_at: str


def choose_products(
    rng: np.random.Generator, segment: str, corporate: bool, age: int | None, dormant: bool
) -> list[Product]:
    """Products in the order accounts are kept when a customer would exceed six."""
    codes = ["CURC" if corporate else "CURP"]
    first_td, second_td = TERM_DEPOSIT_RATES[segment]
    draws = rng.random(4)
    if not dormant:
        credit = ("LN12", "LN60", "CARD") if corporate else ("MORT", "LN36", "CARD")
        for code, draw in zip((*credit, "WLTH"), draws, strict=True):
            if code == "MORT" and not (age is not None and 25 <= age <= 62):
                continue
            if draw < HOLDING_RATES[code][segment]:
                codes.append(code)
    codes += [TERM_DEPOSITS.draw(rng) for rate in (first_td, second_td) if rng.random() < rate]
    return [PRODUCT_BY_CODE[code] for code in codes[:MAX_ACCOUNTS]]


def holds_credit(products: list[Product]) -> bool:
    return any(product.is_credit for product in products)


def open_and_close(
    rng: np.random.Generator,
    product: Product,
    onboarded: date,
    latest_open: date,
    churned: date | None,
    window: Window,
) -> tuple[date, date | None] | None:
    """Opening and closing dates, or None when the account could not have been opened."""
    if product.family == "current_deposit":
        opened = onboarded
    else:
        earliest = onboarded
        if product.family == "loan":
            # Most loans that matured long before the window would never be seen in it.
            lookback = timedelta(days=int(product.term_months * 30.44 * 1.2))
            earliest = max(onboarded, window.start - lookback)
        if earliest > latest_open:
            return None
        opened = earliest + timedelta(days=int(rng.integers((latest_open - earliest).days + 1)))
    closed = None
    if product.family == "loan":
        maturity = add_months(opened, product.term_months)
        closed = maturity if maturity <= window.as_of else None
    elif product.family == "wealth" and rng.random() < WEALTH_REDEMPTION_SHARE:
        redeemed = opened + timedelta(days=int(between(rng, 30, 720)))
        closed = redeemed if redeemed <= window.as_of else None
    if churned is not None and (closed is None or churned < closed):
        closed = churned
    return opened, closed


def account_rate(
    rng: np.random.Generator, product: Product, rating: str | None, segment: str
) -> int:
    """The account's contractual annual rate in millionths, on whole basis points."""
    if product.family == "wealth" or product.family == "card":
        return product.rate_micro
    if product.family == "loan":
        spread = RATING_SPREADS[rating or "BBB"] + rng.normal(0, 1_500)
        rate = max(25_000.0, product.rate_micro + spread)
    else:
        negotiated = 1.1 if segment in ("large", "private") else 1.0
        rate = product.rate_micro * between(rng, 0.85, 1.15) * negotiated
    return int(round(rate, -2))


def plan_holding(
    rng: np.random.Generator,
    product: Product,
    *,
    home_branch: str,
    segment: str,
    rating: str | None,
    onboarded: date,
    latest_open: date,
    churned: date | None,
    window: Window,
) -> Holding | None:
    dates = open_and_close(rng, product, onboarded, latest_open, churned, window)
    if dates is None:
        return None
    opened, closed = dates
    branch_id = home_branch if rng.random() >= OTHER_BRANCH_SHARE else BRANCH_CHOICE.draw(rng)
    rate = account_rate(rng, product, rating, segment)
    changed = epoch_seconds(closed or opened) + int(rng.integers(9 * 3600, 17 * 3600))
    return Holding(product, opened, closed, branch_id, rate, iso_timestamp(changed))
