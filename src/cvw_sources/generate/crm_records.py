"""What the CRM knows about a party: its contact records and their history.

A party is a bank customer or a prospect. Contact records carry the CRM's own
ids and the CIF as somebody typed it: sometimes missing, sometimes wrong, and
for a few customers there is a second, slightly differently named record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cvw_sources.generate.formats import money
from cvw_sources.generate.geography import CITIES
from cvw_sources.generate.identifiers import (
    company_email,
    landline,
    mobile_phone,
    personal_email,
    reformat_phone,
    resident_id,
    social_credit_code,
)
from cvw_sources.generate.names import (
    brand,
    company_name,
    company_variant,
    mistype_digits,
    person_name,
    person_variant,
)
from cvw_sources.generate.params import GeneratorParams
from cvw_sources.generate.streams import Choice, between
from cvw_sources.generate.window import (
    SECONDS_PER_DAY,
    Window,
    day_of,
    epoch_seconds,
    iso_timestamp,
)
from cvw_sources.generate.world import INDUSTRIES, Customer

# Interactions per active month by segment; prospects are courted less often.
INTERACTION_RATES = {"mass": 0.15, "affluent": 0.4, "private": 0.8, "sme": 0.5,
                     "mid_market": 0.8, "large": 1.2, "prospect": 0.3}  # fmt: skip
DUPLICATE_INTERACTION_FACTOR = 0.2
SURVEY_RATES = {"mass": 0.03, "prospect": 0.02}
DEFAULT_SURVEY_RATE = 0.06
OPPORTUNITIES_PER_YEAR = {"mass": 0.15, "affluent": 0.6, "private": 1.2, "sme": 0.8,
                          "mid_market": 1.5, "large": 2.5, "prospect": 0.8}  # fmt: skip
RETAIL_PRODUCTS = Choice(("WLTH", "TD12", "MORT", "LN36", "CARD"), (0.35, 0.2, 0.15, 0.1, 0.2))
CORPORATE_PRODUCTS = Choice(("LN12", "LN60", "TD06", "WLTH", "CURC"), (0.3, 0.2, 0.15, 0.15, 0.2))
# Marketing campaigns: the CRM records a contact's responses (an open, a click, an
# acceptance or a refusal), not the sends. Responses per year by segment; one
# campaign a month per product, and customers about to leave rarely accept.
CAMPAIGN_RESPONSES_PER_YEAR = {"mass": 4.0, "affluent": 6.0, "private": 5.0, "sme": 4.0,
                               "mid_market": 3.0, "large": 2.0, "prospect": 2.0}  # fmt: skip
CAMPAIGN_RESPONSES = Choice(("opened", "clicked", "accepted", "declined"), (0.45, 0.25, 0.12, 0.18))
CAMPAIGN_CHANNELS = Choice(("email", "sms", "mobile_app"), (0.5, 0.2, 0.3))
CAMPAIGN_PRODUCTS = Choice(("WLTH", "TD12", "CARD", "LN36"), (0.4, 0.25, 0.2, 0.15))
# The months before a customer leaves: more complaints, lower satisfaction.
PRE_CHURN_DAYS = 120
FOLLOW_UP_DAYS = {"visit": 14, "complaint": 5, "call": 7}
EXACT_NAME_SHARE = 0.7


@dataclass(frozen=True, slots=True)
class Party:
    """The traits of a customer or prospect that drive CRM activity."""

    segment: str  # a customer segment, or "prospect"
    corporate: bool
    wallet: float
    rm_id: str | None
    churn_date: date | None
    satisfaction: float  # the party's lasting offset to survey scores


@dataclass(frozen=True, slots=True)
class Contact:
    contact_id: str
    party: Party
    created: int  # epoch seconds
    duplicate: bool
    row: tuple[str | None, ...]


def customer_party(customer: Customer, rng: np.random.Generator) -> Party:
    return Party(
        customer.segment,
        customer.corporate,
        customer.wallet,
        customer.rm_id,
        customer.churn_date,
        float(rng.normal(0.0, 0.8)),
    )


def _created(rng: np.random.Generator, window: Window, onboarded: date | None) -> int:
    """Contacts of customers older than the window were migrated in its first month."""
    start = epoch_seconds(window.start)
    if onboarded is None or onboarded < window.start:
        return start + int(rng.integers(28 * SECONDS_PER_DAY))
    earliest = max(start, epoch_seconds(onboarded) - 20 * SECONDS_PER_DAY)
    return int(rng.integers(earliest, epoch_seconds(onboarded) + SECONDS_PER_DAY))


def _updated(rng: np.random.Generator, created: int, window: Window) -> int:
    return created if rng.random() < 0.5 else int(rng.integers(created, window.end_seconds))


def _typed_cif(customer_id: str, params: GeneratorParams, rng: np.random.Generator) -> str | None:
    draw = rng.random()
    if draw < params.crm_missing_cif_rate:
        return None
    if draw < params.crm_missing_cif_rate + params.crm_mistyped_cif_rate:
        return mistype_digits(customer_id, rng, first=1)
    return customer_id


def _phone(phone: str | None, rng: np.random.Generator) -> str | None:
    draw = rng.random()
    if phone is None or draw < 0.2:
        return None
    return reformat_phone(phone, rng) if draw < 0.6 else phone


def customer_contacts(
    customer: Customer,
    party: Party,
    contact_ids: list[str],
    params: GeneratorParams,
    window: Window,
    rng: np.random.Generator,
) -> list[Contact]:
    """The customer's contact record, and a second one for ``crm_duplicate_contact_rate``
    of customers; ``contact_ids`` holds the ids reserved for the two."""
    variant = company_variant if customer.corporate else person_variant
    created = _created(rng, window, customer.onboarded)
    duplicate = rng.random() < params.crm_duplicate_contact_rate
    contacts = []
    for copy, contact_id in enumerate(contact_ids[: 2 if duplicate else 1]):
        if copy:
            created = int(rng.integers(created, window.end_seconds))
        exact = not copy and rng.random() < EXACT_NAME_SHARE
        name = customer.full_name if exact else variant(customer.full_name, rng)
        draw = rng.random()
        national_id: str | None = customer.national_id
        if draw < (0.4 if copy else 0.1):
            national_id = None
        elif draw < (0.45 if copy else 0.15):
            national_id = mistype_digits(customer.national_id, rng)
        email = customer.email if rng.random() < 0.75 else None
        row = (
            contact_id,
            _typed_cif(customer.customer_id, params, rng),
            name,
            national_id,
            _phone(customer.phone, rng),
            email.upper() if email and rng.random() < 0.1 else email,
            customer.customer_type,
            customer.rm_id,
            iso_timestamp(created),
            iso_timestamp(_updated(rng, created, window)),
        )
        contacts.append(Contact(contact_id, party, created, bool(copy), row))
    return contacts


def prospect_contact(
    contact_id: str, rm_ids: tuple[str, ...], window: Window, rng: np.random.Generator
) -> Contact:
    """Somebody the bank courts who is not a customer: no CIF, no core-banking record."""
    corporate = rng.random() < 0.3
    city = CITIES[int(rng.integers(len(CITIES)))]
    if corporate:
        industry = INDUSTRIES.draw(rng)
        brand_name = brand(rng)
        name = company_name(rng, city.name, brand_name, industry)
        national_id = social_credit_code(rng, city.division_code)
        phone = landline(rng, city.phone_area)
        email = company_email(rng, brand_name)
        wallet = 2_400_000 * rng.lognormal(0.0, 1.2)
    else:
        surname, given = person_name(rng)
        name = f"{surname} {given}"
        birth = window.as_of - timedelta(days=int(between(rng, 22, 70) * 365.25))
        national_id = resident_id(rng, city.division_code, birth)
        phone = mobile_phone(rng)
        email = personal_email(rng, surname, given)
        wallet = 60_000 * rng.lognormal(0.0, 1.2)
    rm_id = rm_ids[int(rng.integers(len(rm_ids)))]
    created = int(rng.integers(epoch_seconds(window.start), window.end_seconds))
    party = Party("prospect", corporate, wallet, rm_id, None, float(rng.normal(0.0, 0.8)))
    row = (
        contact_id,
        None,
        name,
        national_id if rng.random() < 0.6 else None,
        phone if rng.random() < 0.8 else None,
        email if rng.random() < 0.5 else None,
        "corporate" if corporate else "retail",
        rm_id,
        iso_timestamp(created),
        iso_timestamp(_updated(rng, created, window)),
    )
    return Contact(contact_id, party, created, False, row)


def _active_until(contact: Contact, window: Window) -> int:
    churn = contact.party.churn_date
    return window.end_seconds if churn is None else min(window.end_seconds, epoch_seconds(churn))


def _near_churn(party: Party, moment: int) -> bool:
    if party.churn_date is None:
        return False
    return epoch_seconds(party.churn_date) - moment < PRE_CHURN_DAYS * SECONDS_PER_DAY


def interactions(
    contact: Contact, window: Window, rng: np.random.Generator
) -> Sequence[tuple[str | None, ...]]:
    """Rows without their id: (contact_id, rm_id, type, occurred_at, due, done, updated_at)."""
    party = contact.party
    until = _active_until(contact, window)
    if until <= contact.created:
        return []
    months = (until - contact.created) / (30.44 * SECONDS_PER_DAY)
    # Bigger relationships get more attention within their segment.
    rate = INTERACTION_RATES[party.segment] * min(2.0, max(0.5, (party.wallet / 40_000) ** 0.1))
    if contact.duplicate:
        rate *= DUPLICATE_INTERACTION_FACTOR
    rows = []
    for occurred in sorted(rng.integers(contact.created, until, size=rng.poisson(rate * months))):
        complaint_share = 0.3 if _near_churn(party, int(occurred)) else 0.1
        draw = rng.random()
        if draw < complaint_share:
            kind = "complaint"
        elif party.rm_id is not None and draw < complaint_share + 0.35:
            kind = "visit"
        else:
            kind = "call"
        day = day_of(int(occurred))
        due = done = None
        updated = int(occurred)
        if kind != "call" or rng.random() < 0.2:
            due = day + timedelta(days=FOLLOW_UP_DAYS[kind])
            outcome = rng.random()
            if outcome < 0.65:
                done = day + timedelta(days=int(rng.integers((due - day).days + 1)))
            elif outcome < 0.87:
                done = due + timedelta(days=int(rng.integers(1, 31)))
            if done is not None and done > window.as_of:
                done = None
            if done is not None:
                updated = max(updated, epoch_seconds(done) + 17 * 3600)
        rows.append(
            (
                contact.contact_id,
                party.rm_id,
                kind,
                iso_timestamp(int(occurred)),
                None if due is None else due.isoformat(),
                None if done is None else done.isoformat(),
                iso_timestamp(min(updated, window.end_seconds - 1)),
            )
        )
    return rows


def surveys(
    contact: Contact, window: Window, rng: np.random.Generator
) -> Sequence[tuple[str | int, ...]]:
    """Rows without their id: (contact_id, score, responded_at, updated_at)."""
    party = contact.party
    until = _active_until(contact, window)
    rate = SURVEY_RATES.get(party.segment, DEFAULT_SURVEY_RATE)
    draws = rng.random(window.months).tolist()
    rows = []
    for month, draw in enumerate(draws):
        if draw >= rate:
            continue
        first = max(contact.created, window.month_start_seconds[month])
        stop = min(until, window.month_stop_seconds[month])
        if stop <= first:
            continue
        responded = int(rng.integers(first, stop))
        score = rng.normal(8.0, 1.2) + party.satisfaction
        if _near_churn(party, responded):
            score -= 3.0
        stamp = iso_timestamp(responded)
        rows.append((contact.contact_id, int(min(10, max(1, round(score)))), stamp, stamp))
    return rows


def campaign_responses(
    contact: Contact, window: Window, rng: np.random.Generator
) -> Sequence[tuple[str, ...]]:
    """Rows without their id: (campaign_id, contact_id, channel, response, responded_at,
    updated_at)."""
    party = contact.party
    until = _active_until(contact, window)
    if until <= contact.created:
        return []
    years = (until - contact.created) / (365.25 * SECONDS_PER_DAY)
    count = rng.poisson(CAMPAIGN_RESPONSES_PER_YEAR[party.segment] * years)
    rows = []
    for responded in sorted(rng.integers(contact.created, until, size=count).tolist()):
        response = CAMPAIGN_RESPONSES.draw(rng)
        if response == "accepted" and _near_churn(party, responded) and rng.random() < 0.8:
            response = "declined"
        day = day_of(responded)
        campaign_id = f"CMP-{day:%Y%m}-{CAMPAIGN_PRODUCTS.draw(rng)}"
        stamp = iso_timestamp(responded)
        rows.append((campaign_id, contact.contact_id, CAMPAIGN_CHANNELS.draw(rng), response,
                     stamp, stamp))  # fmt: skip
    return rows


def opportunities(
    contact: Contact, window: Window, rng: np.random.Generator
) -> Sequence[tuple[str | None, ...]]:
    """Rows without their id, in schema order from contact_id on."""
    party = contact.party
    until = _active_until(contact, window)
    if party.rm_id is None or contact.duplicate or until <= contact.created:
        return []
    years = (until - contact.created) / (365.25 * SECONDS_PER_DAY)
    count = rng.poisson(OPPORTUNITIES_PER_YEAR[party.segment] * years)
    products = CORPORATE_PRODUCTS if party.corporate else RETAIL_PRODUCTS
    rows = []
    for created in sorted(rng.integers(contact.created, until, size=count)):
        created = int(created)
        product = products.draw(rng)
        intended = _intended_amount(product, party.wallet, rng)
        created_day = day_of(created)
        expected = created_day + timedelta(days=int(rng.integers(20, 151)))
        stage, booked, closed = _outcome(rng, created_day, expected, intended, window)
        if closed is not None:
            updated = epoch_seconds(closed) + 16 * 3600
        else:
            updated = int(rng.integers(created, window.end_seconds))
        rows.append(
            (
                contact.contact_id,
                party.rm_id,
                product,
                money(intended),
                stage,
                expected.isoformat(),
                None if booked is None else money(booked),
                None if closed is None else closed.isoformat(),
                iso_timestamp(created),
                iso_timestamp(min(max(updated, created), window.end_seconds - 1)),
            )
        )
    return rows


def _intended_amount(product: str, wallet: float, rng: np.random.Generator) -> int:
    """Cents, on whole thousands of CNY."""
    if product == "MORT":
        amount = between(rng, 300_000, 3_000_000)
    elif product == "CARD":
        amount = between(rng, 10_000, 100_000)
    else:
        amount = wallet * between(rng, 0.05, 0.6)
    return max(1_000, int(round(amount, -3))) * 100


def _outcome(
    rng: np.random.Generator, created: date, expected: date, intended: int, window: Window
) -> tuple[str, int | None, date | None]:
    """Stage, booked amount (cents) and closing date as of ``as_of``."""
    draw = rng.random()
    if expected + timedelta(days=20) < window.as_of and draw < 0.85:
        slip = timedelta(days=int(rng.normal(0, 15)))
        closed = min(window.as_of, max(created + timedelta(days=1), expected + slip))
        if draw < 0.45:
            # What books differs from what the RM forecast: the pipeline's forecast error.
            booked = round(intended * rng.lognormal(-0.08, 0.3))
            return "won", booked, closed
        return "lost", None, closed
    age = (window.as_of - created).days / max(1, (expected - created).days)
    stage = "lead" if age < 0.3 else "qualified" if age < 0.7 else "proposal"
    return stage, None, None
