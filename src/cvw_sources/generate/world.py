"""The customer population: who banks here, how much, and for how long.

Every customer is a pure function of the seed and the customer's index, drawn
from the customer's own random stream, so each source system can rebuild the
same customer on its own without holding the population in memory.

Economics are deliberately concentrated: a customer's wallet (the business the
relationship can carry) is lognormal, and corporates are about sixty times
larger than retail customers, so a few percent of customers hold most of the
balances and contribution, as in Chinese banks (二八原则, often far steeper).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from cvw_sources.generate.geography import BRANCH_BY_ID, BRANCH_CHOICE, CITIES, Branch, City
from cvw_sources.generate.groups import GroupMembership, span_groups, span_of
from cvw_sources.generate.holdings import Holding, choose_products, holds_credit, plan_holding
from cvw_sources.generate.identifiers import (
    company_email,
    landline,
    mobile_phone,
    personal_email,
    resident_id,
    social_credit_code,
)
from cvw_sources.generate.names import INDUSTRY_TRADES, brand, company_name, person_name
from cvw_sources.generate.params import GeneratorParams
from cvw_sources.generate.staff import RelationshipManager, build_managers
from cvw_sources.generate.streams import Choice, Stream, between, stream, streams
from cvw_sources.generate.window import SECONDS_PER_DAY, Window, epoch_seconds, iso_timestamp

CHURN_HAZARDS: Mapping[str, float] = MappingProxyType(
    {
        "mass": 0.020,
        "affluent": 0.010,
        "private": 0.005,
        "sme": 0.015,
        "mid_market": 0.007,
        "large": 0.003,
    }
)
"""Monthly probability, by segment, that an active customer leaves the bank.

A leaving customer closes all accounts on one day (the customer's status becomes
``closed`` with that ``closed_date``) and has no activity afterwards.
"""

DORMANCY_SHARES = {"mass": 0.08, "affluent": 0.03, "private": 0.01,
                   "sme": 0.05, "mid_market": 0.02, "large": 0.0}  # fmt: skip
CORPORATE_SHARE = 0.15
ONBOARDING_YEARS = 6
RETAIL_MEDIAN_WALLET = 40_000.0
RETAIL_WALLET_SIGMA = 1.6
CORPORATE_WALLET_MULTIPLE = 60.0
CORPORATE_WALLET_SIGMA = 1.7
# Cut-offs on the wallet's standard-normal score: private banking is the top 4 % of
# retail and affluent the next 16 %; large corporates the top 10 %, mid-market the next 30 %.
RETAIL_TIERS = ((1.75, "private"), (0.84, "affluent"), (-math.inf, "mass"))
CORPORATE_TIERS = ((1.28, "large"), (0.25, "mid_market"), (-math.inf, "sme"))
RETAIL_AGES = {"mass": (20, 75), "affluent": (28, 75), "private": (35, 80)}
RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC")
_RATING_CHOICES = {
    segment: Choice(RATINGS, weights)
    for segment, weights in {
        "mass": (0.01, 0.06, 0.25, 0.33, 0.2, 0.1, 0.05),
        "affluent": (0.03, 0.1, 0.32, 0.32, 0.14, 0.06, 0.03),
        "private": (0.06, 0.16, 0.36, 0.28, 0.09, 0.04, 0.01),
        "sme": (0.01, 0.04, 0.2, 0.35, 0.24, 0.11, 0.05),
        "mid_market": (0.03, 0.1, 0.3, 0.34, 0.15, 0.06, 0.02),
        "large": (0.1, 0.22, 0.35, 0.24, 0.06, 0.02, 0.01),
    }.items()
}
RATING_CHANGE_SHARE = 0.12
DOWNGRADE_SHARE = 0.6
INDUSTRIES = Choice(tuple(INDUSTRY_TRADES), (22, 18, 9, 7, 10, 8, 7, 6, 7, 6))
CHANNELS = ("branch", "atm", "online", "mobile")
MASS_WITH_MANAGER_SHARE = 0.5
CONTACT_UPDATE_SHARE = 0.3
HOME_CITY_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Customer:
    index: int
    customer_id: str
    customer_type: str
    segment: str
    full_name: str
    national_id: str
    phone: str | None
    email: str | None
    birth_date: date | None
    industry: str | None
    branch: Branch
    onboarded: date
    wallet: float  # CNY: the size of the relationship, drives balances, activity and fees
    activity: float  # transaction intensity relative to the customer's size, mean 1
    channel_weights: tuple[float, float, float, float]  # preference over CHANNELS
    dormant_from: date | None
    churn_date: date | None
    ratings: tuple[tuple[date, str], ...]  # (effective from, rating), oldest first
    rm_id: str | None
    holdings: tuple[Holding, ...]
    updated_at: str
    group: GroupMembership | None  # corporate group (集团客户) the customer belongs to

    @property
    def corporate(self) -> bool:
        return self.customer_type == "corporate"

    @property
    def status(self) -> str:
        if self.churn_date is not None:
            return "closed"
        return "dormant" if self.dormant_from is not None else "active"

    def rating_on(self, day: date) -> str | None:
        current = None
        for since, rating in self.ratings:
            if since <= day:
                current = rating
        return current

    def dormant_on(self, day: date) -> bool:
        return self.dormant_from is not None and self.dormant_from <= day


class Population:
    """The customers and relationship managers of one parameter set.

    Customers are built on the first pass and kept: core banking, ERP and CRM each
    walk the whole population, and building a customer costs far more than the
    ~1.5 kB it takes to keep one (about 150 MB for 100,000 customers).
    """

    def __init__(self, params: GeneratorParams) -> None:
        self.params = params
        self.window = Window.ending(params.as_of, params.months)
        self.managers = build_managers(params.seed, params.customers, self.window)
        self._managers_by_branch = _managers_by_branch(self.managers)
        self._customers: list[Customer] = []
        self._arrivals: Iterator[list[Customer]] | None = None
        self._groups: dict[int, dict[int, GroupMembership]] = {}

    def __len__(self) -> int:
        return self.params.customers

    def __iter__(self) -> Iterator[Customer]:
        for index in range(self.params.customers):
            if index == len(self._customers):
                if self._arrivals is None:
                    self._customers.append(self.customer(index))
                else:
                    self._customers += next(self._arrivals)
            yield self._customers[index]

    def receive(self, blocks: Iterator[list[Customer]]) -> None:
        """Take the customers from ``blocks`` (consecutive customers, in index order) as
        iterating gets to them, instead of building them here."""
        self._arrivals = blocks

    def customer(self, index: int) -> Customer:
        rng = stream(self.params.seed, Stream.CUSTOMER, index)
        return build_customer(
            rng, index, self.window, self._managers_by_branch, self.group_of(index)
        )

    def customers(self, indexes: range) -> list[Customer]:
        """The customers of consecutive indexes, their streams seeded together."""
        rngs = streams(self.params.seed, Stream.CUSTOMER, indexes)
        return [
            build_customer(rng, index, self.window, self._managers_by_branch, self.group_of(index))
            for rng, index in zip(rngs, indexes, strict=True)
        ]

    def group_of(self, index: int) -> GroupMembership | None:
        span = span_of(index)
        if span not in self._groups:
            self._groups[span] = span_groups(
                self.params.seed, span, self.params.customers, CORPORATE_SHARE
            )
        return self._groups[span].get(index)


def _managers_by_branch(
    managers: tuple[RelationshipManager, ...],
) -> dict[str, tuple[str, ...]]:
    """The managers a customer of each branch can be assigned to: the branch's own,
    else its region's, else anyone (small banks have fewer managers than branches)."""
    result = {}
    for branch_id, branch in BRANCH_BY_ID.items():
        own = tuple(m.rm_id for m in managers if m.branch.branch_id == branch_id)
        regional = tuple(m.rm_id for m in managers if m.branch.region == branch.region)
        result[branch_id] = own or regional or tuple(m.rm_id for m in managers)
    return result


def _tier(score: float, tiers: tuple[tuple[float, str], ...]) -> str:
    return next(segment for cutoff, segment in tiers if score >= cutoff)


def _days_before(day: date, days: float) -> date:
    return day - timedelta(days=int(days))


@dataclass(frozen=True, slots=True)
class _Identity:
    full_name: str
    national_id: str
    phone: str | None
    email: str | None
    birth_date: date | None
    industry: str | None
    channel_weights: tuple[float, float, float, float]


def _corporate_identity(rng: np.random.Generator, branch: Branch, home: City) -> _Identity:
    industry = INDUSTRIES.draw(rng)
    brand_name = brand(rng)
    branch_weight, online, mobile = (float(w) for w in rng.dirichlet((2.0, 5.0, 1.0)))
    return _Identity(
        full_name=company_name(rng, branch.city.name, brand_name, industry),
        national_id=social_credit_code(rng, home.division_code),
        phone=landline(rng, branch.city.phone_area) if rng.random() < 0.9 else None,
        email=company_email(rng, brand_name) if rng.random() < 0.8 else None,
        birth_date=None,
        industry=industry,
        channel_weights=(branch_weight, 0.0, online, mobile),  # companies do not use ATMs
    )


def _retail_identity(
    rng: np.random.Generator, segment: str, home: City, onboarded: date, as_of: date
) -> _Identity:
    surname, given = person_name(rng)
    youngest, oldest = RETAIL_AGES[segment]
    birth_date = _days_before(as_of, between(rng, youngest, oldest) * 365.25)
    adult_from = _days_before(onboarded, 18 * 365.25)
    if birth_date > adult_from:
        birth_date = _days_before(adult_from, rng.random() * 5 * 365.25)
    age = (as_of - birth_date).days / 365.25
    # Preference over (branch, atm, online, mobile): the young live on their phones.
    alphas = (0.4, 0.8, 1.5, 4.0) if age < 35 else (1.0, 1.2, 2.0, 2.5)
    if age >= 60:
        alphas = (3.0, 1.5, 0.8, 0.6)
    national_id = resident_id(rng, home.division_code, birth_date)
    phone = mobile_phone(rng) if rng.random() < 0.95 else None
    email = personal_email(rng, surname, given) if rng.random() < 0.65 else None
    branch_weight, atm, online, mobile = (float(w) for w in rng.dirichlet(alphas))
    return _Identity(
        full_name=f"{surname} {given}",
        national_id=national_id,
        phone=phone,
        email=email,
        birth_date=birth_date,
        industry=None,
        channel_weights=(branch_weight, atm, online, mobile),
    )


def build_customer(
    rng: np.random.Generator,
    index: int,
    window: Window,
    managers_by_branch: Mapping[str, tuple[str, ...]],
    group: GroupMembership | None,
) -> Customer:
    """Customer ``index``, drawn from the customer's own stream (``Stream.CUSTOMER``)."""
    as_of = window.as_of
    corporate = rng.random() < CORPORATE_SHARE
    score = float(rng.standard_normal())
    if corporate:
        wallet = RETAIL_MEDIAN_WALLET * CORPORATE_WALLET_MULTIPLE
        wallet *= math.exp(CORPORATE_WALLET_SIGMA * score)
        segment = _tier(score, CORPORATE_TIERS)
    else:
        wallet = RETAIL_MEDIAN_WALLET * math.exp(RETAIL_WALLET_SIGMA * score)
        segment = _tier(score, RETAIL_TIERS)
    branch = BRANCH_BY_ID[BRANCH_CHOICE.draw(rng)]
    onboarded = _days_before(as_of, rng.random() * ONBOARDING_YEARS * 365.25)
    home = branch.city if rng.random() < HOME_CITY_SHARE else CITIES[int(rng.integers(len(CITIES)))]
    if corporate:
        identity = _corporate_identity(rng, branch, home)
    else:
        identity = _retail_identity(rng, segment, home, onboarded, as_of)
    activity = float(rng.gamma(2.0, 0.5))

    dormant_from = _dormancy(rng, segment, onboarded, window)
    churn_date = _churn(rng, segment, onboarded, window)
    if dormant_from is not None and churn_date is not None and dormant_from >= churn_date:
        dormant_from = None

    birth = identity.birth_date
    age_years = None if birth is None else (as_of - birth).days // 365
    products = choose_products(rng, segment, corporate, age_years, dormant_from is not None)
    ratings: tuple[tuple[date, str], ...] = ()
    if corporate or holds_credit(products):
        ratings = _ratings(rng, segment, window, churn_date)
    latest_open = as_of
    for stop in (churn_date, dormant_from):
        if stop is not None:
            latest_open = min(latest_open, stop - timedelta(days=1))
    holdings = []
    for product in products:
        holding = plan_holding(
            rng,
            product,
            home_branch=branch.branch_id,
            segment=segment,
            rating=ratings[0][1] if ratings else None,
            onboarded=onboarded,
            latest_open=latest_open,
            churned=churn_date,
            window=window,
        )
        if holding is not None:
            holdings.append(holding)

    has_manager = corporate or segment != "mass" or rng.random() < MASS_WITH_MANAGER_SHARE
    candidates = managers_by_branch[branch.branch_id]
    rm_id = candidates[int(rng.integers(len(candidates)))] if has_manager else None
    changed = [onboarded, dormant_from, churn_date, *(since for since, _ in ratings[1:])]
    return Customer(
        index=index,
        customer_id=f"C{index + 1:08d}",
        customer_type="corporate" if corporate else "retail",
        segment=segment,
        full_name=identity.full_name,
        national_id=identity.national_id,
        phone=identity.phone,
        email=identity.email,
        birth_date=identity.birth_date,
        industry=identity.industry,
        branch=branch,
        onboarded=onboarded,
        wallet=wallet,
        activity=activity,
        channel_weights=identity.channel_weights,
        dormant_from=dormant_from,
        churn_date=churn_date,
        ratings=ratings,
        rm_id=rm_id,
        holdings=tuple(holdings),
        updated_at=_last_change(rng, [d for d in changed if d is not None], churn_date, window),
        group=group if corporate else None,
    )


def _last_change(
    rng: np.random.Generator, days: list[date], churn_date: date | None, window: Window
) -> str:
    """When the customer record last changed: onboarding, a status or rating change, or an
    edit of the contact details inside the window."""
    moments = [epoch_seconds(day) + int(rng.integers(9 * 3600, 17 * 3600)) for day in days]
    if rng.random() < CONTACT_UPDATE_SHARE:
        last = epoch_seconds(churn_date) if churn_date is not None else window.end_seconds
        first = max(epoch_seconds(window.start), moments[0] + SECONDS_PER_DAY)
        if first < last:
            moments.append(int(rng.integers(first, last)))
    return iso_timestamp(max(moments))


def _dormancy(
    rng: np.random.Generator, segment: str, onboarded: date, window: Window
) -> date | None:
    """When the customer stopped using the bank without leaving it, if ever."""
    becomes_dormant, before_window, offset = rng.random(3)
    if becomes_dormant >= DORMANCY_SHARES[segment]:
        return None
    if before_window < 0.5:
        day = window.start - timedelta(days=int(30 + offset * 670))
    else:
        day = window.start + timedelta(days=int(offset * (window.as_of - window.start).days))
    # Only an established relationship goes quiet; a new one would simply not start.
    return day if day >= onboarded + timedelta(days=180) else None


def _churn(rng: np.random.Generator, segment: str, onboarded: date, window: Window) -> date | None:
    """The day the customer closes everything, drawn month by month from the hazard."""
    hazard = CHURN_HAZARDS[segment]
    draws = rng.random(window.months)
    day_draws = rng.random(window.months)
    for month in range(max(0, window.month_of(onboarded) + 1), window.months):
        if draws[month] < hazard:
            days = int(day_draws[month] * window.days_in(month))
            return window.month_starts[month] + timedelta(days=days)
    return None


def _ratings(
    rng: np.random.Generator, segment: str, window: Window, churn_date: date | None
) -> tuple[tuple[date, str], ...]:
    initial = _RATING_CHOICES[segment].draw(rng)
    changes, downgrade, when = rng.random(3)
    history = [(date.min, initial)]
    if changes < RATING_CHANGE_SHARE:
        last = (churn_date or window.as_of + timedelta(days=1)) - window.start
        step = 1 if downgrade < DOWNGRADE_SHARE else -1
        moved = RATINGS[min(len(RATINGS) - 1, max(0, RATINGS.index(initial) + step))]
        if moved != initial and last.days > 0:
            history.append((window.start + timedelta(days=int(when * last.days)), moved))
    return tuple(history)
