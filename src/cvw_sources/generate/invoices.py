"""Invoices for billed corporate services, under ERP's own billing-account numbers.

ERP does not know the CIF: a customer is a billing account (``BA-`` plus six
digits, stable per customer) with a name and, usually, its registration number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from cvw_sources.generate.export_files import ExportFile
from cvw_sources.generate.formats import money
from cvw_sources.generate.names import company_variant
from cvw_sources.generate.streams import Choice, Stream, between, stream
from cvw_sources.generate.window import Window
from cvw_sources.generate.world import Customer, Population

# Billing-account numbers are an affine permutation modulo this prime: unique per customer,
# unrelated in order to the CIF.
BILLING_MODULUS = 999_983
MONTHLY_INVOICE_RATE = {"sme": 0.02, "mid_market": 0.05, "large": 0.12}
SERVICES = Choice(
    ("cash_management", "payroll_services", "trade_finance_advisory", "custody", "consulting"),
    (0.3, 0.25, 0.2, 0.1, 0.15),
)
PAYMENT_TERMS_DAYS = 30
PAID_SHARE = 0.88
PARTIAL_PAYMENT_SHARE = 0.06
NAME_VARIANT_SHARE = 0.2
MISSING_REGISTRATION_SHARE = 0.1


class BillingAccounts:
    def __init__(self, seed: int) -> None:
        rng = stream(seed, Stream.IDENTIFIERS, 0)
        self._multiplier = int(rng.integers(1, BILLING_MODULUS))
        self._offset = int(rng.integers(0, BILLING_MODULUS))

    def account_id(self, customer_index: int) -> str:
        number = (self._multiplier * customer_index + self._offset) % BILLING_MODULUS
        return f"BA-{number:06d}"


def write_invoices(
    population: Population,
    files: list[ExportFile],
    link: Callable[[str, str], None],
) -> None:
    """Stream every corporate customer's invoices into the file of the issuing month;
    ``link(billing_account_id, customer_id)`` records each billing account invoiced."""
    window = population.window
    accounts = BillingAccounts(population.params.seed)
    sequence = [0] * window.months
    for customer in population:
        if not customer.corporate:
            continue
        billing_id = accounts.account_id(customer.index)
        invoiced = False
        for month, row in _customer_invoices(customer, billing_id, population):
            sequence[month] += 1
            invoice_id = f"INV-{window.month_ends[month]:%Y%m}-{sequence[month]:05d}"
            files[month].write((invoice_id, *row))
            invoiced = True
        if invoiced:
            link(billing_id, customer.customer_id)


def _customer_invoices(
    customer: Customer, billing_id: str, population: Population
) -> Sequence[tuple[int, tuple[str | None, ...]]]:
    window: Window = population.window
    rng = stream(population.params.seed, Stream.INVOICES, customer.index)
    draws = rng.random(window.months)
    rate = MONTHLY_INVOICE_RATE[customer.segment]
    invoices = []
    for month in range(window.months):
        start, end = window.month_starts[month], window.month_ends[month]
        first = max(start, customer.onboarded)
        stop = end
        for limit in (customer.churn_date, customer.dormant_from):
            if limit is not None:
                stop = min(stop, limit - timedelta(days=1))
        if draws[month] >= rate or stop < first:
            continue
        issued = first + timedelta(days=int(rng.integers((stop - first).days + 1)))
        cents = round(max(500.0, customer.wallet * between(rng, 0.0003, 0.002)) * 100)
        name = customer.full_name
        if rng.random() < NAME_VARIANT_SHARE:
            name = company_variant(name, rng)
        registration = None if rng.random() < MISSING_REGISTRATION_SHARE else customer.national_id
        paid_date = paid_cents = None
        if rng.random() < PAID_SHARE:
            paid_on = issued + timedelta(days=int(between(rng, 10, 61)))
            if paid_on <= window.as_of:
                paid_date = paid_on.isoformat()
                partial = rng.random() < PARTIAL_PAYMENT_SHARE
                paid_cents = round(cents * between(rng, 0.5, 0.95)) if partial else cents
        invoices.append(
            (
                month,
                (
                    billing_id,
                    name,
                    registration,
                    SERVICES.draw(rng),
                    money(cents),
                    issued.isoformat(),
                    (issued + timedelta(days=PAYMENT_TERMS_DAYS)).isoformat(),
                    paid_date,
                    None if paid_cents is None else money(paid_cents),
                ),
            )
        )
    return invoices
