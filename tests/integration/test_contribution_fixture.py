"""The contribution mart on a hand-made fixture, against an independent pandas computation.

Four customers over three months (August to October 2026) cover the cases finance
asks about: deposits, a term deposit opened mid-window, a card, a loan that falls
behind and ends in default, a mortgage repaid in the last month (zero exposure), a
wealth account, an account closed mid-month, a fee-only month, transactions in every
channel (one on a month boundary in another time zone), two relationship managers
(one hired mid-window), a customer without one who still sees a manager, CRM
interactions (one on a month boundary, one with a prospect, one after the last
reporting month), and a general ledger whose branch lines equal what core banking
booked.

dbt builds the marts from these raw rows; every contribution line is then computed
here from the same rows with pandas and ``Decimal``, using the rates configured in
``dbt_project.yml`` (vars) and the finance seed CSVs, read at test time. The mart must
match to the cent on every customer-month and column.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, getcontext
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
import yaml
from psycopg import sql

from cvw.access import bootstrap
from cvw.config import PROJECT_ROOT, Settings, dbt_env
from cvw.landing import ensure_raw_tables

pytestmark = pytest.mark.integration

getcontext().prec = 60

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
FINANCE_SEEDS = DBT_PROJECT_DIR / "seeds" / "finance"
LOADED_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
LOGICAL_DATE = date(2026, 11, 1)
UPDATED_AT = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)
MONTHS = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
CENT = Decimal("0.01")
SELECTION = ["+customer_contribution_monthly", "+contribution_gl_reconciliation"]

C1, C2, C3, C4 = "C00000001", "C00000002", "C00000003", "C00000004"
BR1, BR2 = "BR001", "BR002"
CC_HEAD_OFFICE, CC_TREASURY = "CC-HEAD-OFFICE", "CC-TREASURY"
BRANCH_COST_CENTERS = {BR1: "CC-BR001", BR2: "CC-BR002"}


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def money(value: str | int | float | Decimal) -> Decimal:
    return Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- The fixture: raw rows as the source systems send them --------------------------

CUSTOMERS = [
    {
        "customer_id": C1, "customer_type": "retail", "full_name": "Li Wei",
        "national_id": "110101198001011234", "phone": "13800000001",
        "email": "li.wei@example.com", "birth_date": date(1980, 1, 1), "industry": None,
        "segment": "affluent", "branch_id": BR1, "region": "north",
        "onboarded_date": date(2019, 5, 1), "status": "active", "closed_date": None,
        "credit_rating": "A",
    },
    {
        "customer_id": C2, "customer_type": "corporate", "full_name": "Huaxin Trading Co., Ltd.",
        "national_id": "91310000MA1FL00012", "phone": "02150000002",
        "email": "finance@huaxin.example.com", "birth_date": None,
        "industry": "wholesale_retail", "segment": "sme", "branch_id": BR2, "region": "east",
        "onboarded_date": date(2021, 3, 15), "status": "active", "closed_date": None,
        "credit_rating": "BB",
    },
    {
        "customer_id": C3, "customer_type": "retail", "full_name": "Zhang Min",
        "national_id": "310101199205051111", "phone": "13900000003",
        "email": "zhang.min@example.com", "birth_date": date(1992, 5, 5), "industry": None,
        "segment": "mass", "branch_id": BR1, "region": "north",
        "onboarded_date": date(2024, 1, 10), "status": "active", "closed_date": None,
        "credit_rating": "BBB",
    },
    {
        "customer_id": C4, "customer_type": "retail", "full_name": "Wang Fang",
        "national_id": "440101197003032222", "phone": "13700000004",
        "email": "wang.fang@example.com", "birth_date": date(1970, 3, 3), "industry": None,
        "segment": "private", "branch_id": BR2, "region": "east",
        "onboarded_date": date(2016, 7, 1), "status": "active", "closed_date": None,
        "credit_rating": "AA",
    },
]  # fmt: skip

PRODUCTS = [
    ("CURP", "Personal Current Account", "current_deposit", 0, "0.002000", False),
    ("CURC", "Corporate Settlement Account", "current_deposit", 0, "0.002500", False),
    ("TD12", "1-Year Time Deposit", "term_deposit", 12, "0.015000", False),
    ("TD36", "3-Year Time Deposit", "term_deposit", 36, "0.021000", False),
    ("LN36", "Personal Consumer Loan", "loan", 36, "0.052000", True),
    ("MORT", "Residential Mortgage", "loan", 360, "0.038500", True),
    ("CARD", "Credit Card", "card", 0, "0.066000", True),
    ("WLTH", "Wealth Management Product", "wealth", 0, "0.000000", False),
]

# account_id, customer_id, product_code, branch_id, opened, closed, rate, term
ACCOUNTS = [
    ("A1", C1, "CURP", BR1, date(2019, 5, 1), None, "0.002000", 0),
    ("A2", C1, "TD12", BR1, date(2026, 3, 1), None, "0.015500", 12),
    ("A3", C1, "CARD", BR1, date(2020, 1, 1), None, "0.066000", 0),
    ("A4", C2, "CURC", BR2, date(2021, 3, 15), None, "0.002500", 0),
    # booked at the other branch than the customer's home branch
    ("A5", C2, "LN36", BR1, date(2025, 6, 1), None, "0.052000", 36),
    # closes mid-September: September is its final month
    ("A6", C3, "CURP", BR1, date(2024, 1, 10), date(2026, 9, 15), "0.002000", 0),
    ("A7", C4, "WLTH", BR2, date(2018, 1, 1), None, "0.000000", 0),
    # repaid and closed in October: zero exposure at the October month end
    ("A8", C4, "MORT", BR2, date(2010, 1, 1), date(2026, 10, 20), "0.038500", 360),
    # opened mid-September: no August row
    ("A9", C4, "TD36", BR2, date(2026, 9, 10), None, "0.021000", 36),
]

# account_id -> {month: (month_end_balance, average_balance)}
BALANCES = {
    "A1": {MONTHS[0]: ("52000.00", "50321.45"), MONTHS[1]: ("48000.00", "49876.10"),
           MONTHS[2]: ("61000.00", "55012.37")},
    "A2": {month: ("200000.00", "200000.00") for month in MONTHS},
    "A3": {MONTHS[0]: ("8000.00", "6543.21"), MONTHS[1]: ("12000.00", "9876.54"),
           MONTHS[2]: ("5000.00", "7777.77")},
    "A4": {MONTHS[0]: ("1500000.00", "1423456.78"), MONTHS[1]: ("1300000.00", "1398765.43"),
           MONTHS[2]: ("1700000.00", "1501234.56")},
    "A5": {MONTHS[0]: ("300000.00", "302500.00"), MONTHS[1]: ("290000.00", "295000.00"),
           MONTHS[2]: ("280000.00", "285000.00")},
    "A6": {MONTHS[0]: ("3000.00", "3100.50"), MONTHS[1]: ("0.00", "1400.25")},
    "A7": {MONTHS[0]: ("800000.00", "795000.00"), MONTHS[1]: ("810000.00", "805000.00"),
           MONTHS[2]: ("820000.00", "815000.00")},
    "A8": {MONTHS[0]: ("150000.00", "150500.00"), MONTHS[1]: ("149500.00", "149750.00"),
           MONTHS[2]: ("0.00", "95000.00")},
    "A9": {MONTHS[1]: ("100000.00", "70000.00"), MONTHS[2]: ("100000.00", "100000.00")},
}  # fmt: skip

# loan_id -> {month: (outstanding, risk_rating, PD, LGD, days_past_due)}
LOAN_SNAPSHOTS = {
    "A5": {
        MONTHS[0]: ("300000.00", "BB", "0.012000", "0.450000", 0),
        MONTHS[1]: ("290000.00", "BB", "0.012000", "0.450000", 35),
        MONTHS[2]: ("280000.00", "B", "0.050000", "0.450000", 95),  # in default
    },
    "A8": {
        MONTHS[0]: ("150000.00", "AA", "0.000700", "0.250000", 0),
        MONTHS[1]: ("149500.00", "AA", "0.000700", "0.250000", 0),
        MONTHS[2]: ("0.00", "AA", "0.000700", "0.250000", 0),  # zero balance
    },
}
LOAN_PRINCIPAL = {"A5": "320000.00", "A8": "400000.00"}

# account_id, customer_id, posted_at (ISO with offset), channel
TRANSACTIONS = [
    ("A1", C1, "2026-08-03T09:15:00+00:00", "branch"),
    ("A1", C1, "2026-08-12T10:00:00+08:00", "branch"),
    ("A1", C1, "2026-08-14T18:20:00+00:00", "atm"),
    ("A1", C1, "2026-08-15T08:00:00+00:00", "mobile"),
    ("A1", C1, "2026-08-20T21:00:00+00:00", "mobile"),
    ("A1", C1, "2026-08-25T12:00:00+00:00", "online"),
    # 31 August 23:30 at UTC-2 is 1 September 01:30 UTC: a September transaction
    ("A1", C1, "2026-08-31T23:30:00-02:00", "mobile"),
    ("A1", C1, "2026-09-05T12:00:00+00:00", "mobile"),
    ("A1", C1, "2026-09-18T12:00:00+00:00", "online"),
    ("A1", C1, "2026-10-02T09:00:00+00:00", "branch"),
    ("A1", C1, "2026-10-09T09:00:00+00:00", "mobile"),
    ("A1", C1, "2026-10-10T09:00:00+00:00", "mobile"),
    ("A1", C1, "2026-10-11T09:00:00+00:00", "mobile"),
    ("A1", C1, "2026-10-31T23:59:00+00:00", "mobile"),
    ("A3", C1, "2026-08-07T12:00:00+00:00", "online"),
    ("A3", C1, "2026-08-21T12:00:00+00:00", "online"),
    ("A3", C1, "2026-10-17T12:00:00+00:00", "mobile"),
    ("A4", C2, "2026-08-04T03:00:00+00:00", "branch"),
    ("A4", C2, "2026-08-11T03:00:00+00:00", "branch"),
    ("A4", C2, "2026-08-18T03:00:00+00:00", "branch"),
    *(("A4", C2, f"2026-08-{day:02d}T05:00:00+00:00", "online") for day in (5, 9, 13, 22, 28)),
    ("A4", C2, "2026-09-02T03:00:00+00:00", "branch"),
    ("A4", C2, "2026-09-16T03:00:00+00:00", "branch"),
    *(("A4", C2, f"2026-09-{day:02d}T05:00:00+00:00", "online") for day in (3, 10, 17, 24)),
    *(("A4", C2, f"2026-10-{day:02d}T05:00:00+00:00", "online") for day in (1, 6, 12, 19, 26, 30)),
    ("A5", C2, "2026-08-01T06:00:00+00:00", "online"),
    ("A5", C2, "2026-09-01T06:00:00+00:00", "online"),
    ("A5", C2, "2026-10-01T06:00:00+00:00", "online"),
    ("A6", C3, "2026-08-08T10:00:00+00:00", "atm"),
    ("A6", C3, "2026-08-27T10:00:00+00:00", "atm"),
    ("A6", C3, "2026-09-10T10:00:00+00:00", "branch"),
    ("A7", C4, "2026-09-21T10:00:00+00:00", "online"),
]

# customer_id, account_id, fee_category, amount, posted_date (branch = customer's home branch)
FEES = [
    (C1, "A1", "settlement", "8.50", date(2026, 8, 6)),
    (C1, "A3", "cards", "32.00", date(2026, 8, 15)),
    (C1, None, "e_banking", "6.00", date(2026, 9, 30)),
    (C1, "A3", "cards", "28.75", date(2026, 10, 15)),
    (C2, "A4", "settlement", "225.00", date(2026, 8, 31)),
    (C2, "A4", "international", "1350.00", date(2026, 8, 19)),
    (C2, None, "investment_banking", "18000.00", date(2026, 9, 25)),
    (C2, "A4", "settlement", "240.00", date(2026, 10, 1)),
    (C2, "A4", "e_banking", "230.00", date(2026, 10, 28)),
    # C3's only account closed in September: October is a fee-only month
    (C3, None, "agency_insurance", "480.00", date(2026, 10, 12)),
    (C4, "A7", "wealth_management", "530.00", date(2026, 8, 31)),
    (C4, "A7", "wealth_management", "536.67", date(2026, 9, 30)),
    (C4, "A7", "wealth_management", "543.33", date(2026, 10, 31)),
]

FTP_TERMS = (1, 3, 6, 12, 36, 60)
FTP_CURVES = {
    MONTHS[0]: ("0.016500", "0.018500", "0.020500", "0.022500", "0.026500", "0.030000"),
    MONTHS[1]: ("0.016200", "0.018300", "0.020400", "0.022600", "0.026800", "0.030400"),
    MONTHS[2]: ("0.015900", "0.018000", "0.020100", "0.022300", "0.026600", "0.030100"),
}
UNIT_COSTS = {
    MONTHS[0]: {"teller_transaction": "15.02", "atm_transaction": "3.50",
                "online_transaction": "0.80", "mobile_transaction": "0.50",
                "account_upkeep": "6.00", "rm_hour": "320.00"},
    MONTHS[1]: {"teller_transaction": "15.10", "atm_transaction": "3.48",
                "online_transaction": "0.81", "mobile_transaction": "0.51",
                "account_upkeep": "6.05", "rm_hour": "321.10"},
    MONTHS[2]: {"teller_transaction": "15.21", "atm_transaction": "3.55",
                "online_transaction": "0.80", "mobile_transaction": "0.49",
                "account_upkeep": "6.12", "rm_hour": "322.40"},
}  # fmt: skip

# rm_id, name, team, branch, hired, annual cost
RELATIONSHIP_MANAGERS = [
    ("RM0001", "Chen Jing", "Team North 1", BR1, date(2018, 4, 1), "310000.00"),
    # hired in September: costs nothing in August
    ("RM0002", "Zhao Lei", "Team East 1", BR2, date(2026, 9, 10), "250000.00"),
]
# contact_id, customer the contact describes (None: a prospect), rm_id. C4 has no manager.
CONTACTS = [
    ("K1", C1, "RM0001"),
    ("K2", C2, "RM0001"),
    ("K3", C3, "RM0002"),
    ("K4", None, "RM0002"),
    ("K5", C4, None),
]
# interaction_id, contact_id, rm_id, interaction_type, occurred_at
INTERACTIONS = [
    ("I1", "K1", "RM0001", "visit", "2026-08-12T10:00:00+00:00"),
    ("I2", "K1", "RM0001", "call", "2026-08-25T10:00:00+00:00"),
    ("I3", "K2", "RM0001", "complaint", "2026-09-03T10:00:00+00:00"),
    # 1 October in UTC+8 is still 30 September in UTC: a September call
    ("I4", "K2", "RM0001", "call", "2026-10-01T02:00:00+08:00"),
    ("I5", "K3", "RM0002", "visit", "2026-09-15T10:00:00+00:00"),
    # a prospect: no customer carries it
    ("I6", "K4", "RM0002", "visit", "2026-09-20T10:00:00+00:00"),
    # C4 has no manager of its own; RM0002 calls all the same
    ("I7", "K5", "RM0002", "call", "2026-10-05T10:00:00+00:00"),
    # November is not a reporting month yet
    ("I8", "K1", "RM0001", "visit", "2026-11-02T10:00:00+00:00"),
]

# Ledger amounts no customer owns, per month: (line, cost center, amount).
NON_BRANCH_POSTINGS = [
    ("interest_income", CC_TREASURY, "48123.45"),
    ("interest_expense", CC_TREASURY, "21987.65"),
    ("fee_income", CC_HEAD_OFFICE, "3210.98"),
    ("operating_expense", CC_HEAD_OFFICE, "9100.00"),
    ("operating_expense", CC_TREASURY, "1500.00"),
]
BRANCH_OPERATING_EXPENSE = {BR1: "41250.00", BR2: "36800.00"}


def _product_family(code: str) -> str:
    return next(product[2] for product in PRODUCTS if product[0] == code)


def _interest_accrued(average: str, rate: str, days: int, family: str) -> Decimal:
    if family == "wealth":
        return Decimal(0)
    return cents(money(average) * money(rate) * days / 365)


def raw_rows() -> dict[str, list[dict[str, Any]]]:
    """Every raw table's rows, and a general ledger built from the core-banking amounts."""
    accounts = {row[0]: row for row in ACCOUNTS}
    rows: dict[str, list[dict[str, Any]]] = {
        "raw_core_banking.customers": [c | {"updated_at": UPDATED_AT} for c in CUSTOMERS],
        "raw_core_banking.products": [
            dict(
                zip(
                    (
                        "product_code",
                        "product_name",
                        "product_family",
                        "term_months",
                        "standard_rate",
                        "is_credit",
                    ),
                    product,
                    strict=True,
                )
            )
            | {"updated_at": UPDATED_AT}
            for product in PRODUCTS
        ],  # fmt: skip
        "raw_core_banking.accounts": [
            {
                "account_id": account_id,
                "customer_id": customer_id,
                "product_code": code,
                "branch_id": branch,
                "currency": "CNY",
                "opened_date": opened,
                "closed_date": closed,
                "status": "closed" if closed else "open",
                "interest_rate": rate,
                "term_months": term,
                "updated_at": UPDATED_AT,
            }
            for account_id, customer_id, code, branch, opened, closed, rate, term in ACCOUNTS
        ],  # fmt: skip
    }
    balances, ledger = [], {}
    for account_id, months in BALANCES.items():
        _, _, code, branch, _, _, rate, _ = accounts[account_id]
        family = _product_family(code)
        for month, (end, average) in months.items():
            days = month_end(month).day
            interest = _interest_accrued(average, rate, days, family)
            balances.append(
                {
                    "account_id": account_id, "balance_date": month_end(month),
                    "month_end_balance": end, "average_balance": average,
                    "interest_accrued": interest, "days_in_month": days,
                    "updated_at": UPDATED_AT,
                }
            )  # fmt: skip
            line = {"current_deposit": "interest_expense", "term_deposit": "interest_expense",
                    "loan": "interest_income", "card": "interest_income"}.get(family)  # fmt: skip
            if line:
                key = (month, line, BRANCH_COST_CENTERS[branch])
                ledger[key] = ledger.get(key, Decimal(0)) + interest
    rows["raw_core_banking.balances"] = balances
    rows["raw_core_banking.loans"] = [
        {
            "loan_id": loan_id, "snapshot_date": month_end(month),
            "customer_id": accounts[loan_id][1], "principal_amount": LOAN_PRINCIPAL[loan_id],
            "outstanding_balance": outstanding, "interest_rate": accounts[loan_id][6],
            "term_months": accounts[loan_id][7], "risk_rating": rating,
            "probability_of_default": pd_, "loss_given_default": lgd,
            "days_past_due": days_past_due, "updated_at": UPDATED_AT,
        }
        for loan_id, months in LOAN_SNAPSHOTS.items()
        for month, (outstanding, rating, pd_, lgd, days_past_due) in months.items()
    ]  # fmt: skip
    rows["raw_core_banking.transactions"] = [
        {
            "transaction_id": number, "account_id": account_id, "customer_id": customer_id,
            "posted_at": datetime.fromisoformat(posted_at), "channel": channel,
            "transaction_type": "payment", "amount": "100.00",
        }
        for number, (account_id, customer_id, posted_at, channel) in enumerate(TRANSACTIONS, 1)
    ]  # fmt: skip
    home_branch = {customer["customer_id"]: customer["branch_id"] for customer in CUSTOMERS}
    fee_rows = []
    for number, (customer_id, account_id, category, amount, posted) in enumerate(FEES, 1):
        fee_rows.append(
            {
                "fee_id": number, "customer_id": customer_id, "account_id": account_id,
                "branch_id": home_branch[customer_id], "fee_category": category,
                "amount": amount, "posted_date": posted, "updated_at": UPDATED_AT,
            }
        )  # fmt: skip
        key = (posted.replace(day=1), "fee_income", BRANCH_COST_CENTERS[home_branch[customer_id]])
        ledger[key] = ledger.get(key, Decimal(0)) + money(amount)
    rows["raw_core_banking.fee_postings"] = fee_rows
    for month in MONTHS:
        for branch, amount in BRANCH_OPERATING_EXPENSE.items():
            ledger[(month, "operating_expense", BRANCH_COST_CENTERS[branch])] = money(amount)
        for line, center, amount in NON_BRANCH_POSTINGS:
            ledger[(month, line, center)] = money(amount)
    gl_accounts = {"interest_income": "6011", "interest_expense": "6411", "fee_income": "6021",
                   "operating_expense": "6601"}  # fmt: skip
    rows["raw_erp.gl_postings"] = [
        {
            "posting_id": f"GL{month:%Y%m}-{number:06d}", "posting_date": month_end(month),
            "period": f"{month:%Y-%m}", "gl_account": gl_accounts[line], "gl_line": line,
            "cost_center_id": center, "amount": amount, "currency": "CNY",
            "description": "Fixture posting",
        }
        for number, ((month, line, center), amount) in enumerate(sorted(ledger.items()), 1)
    ]  # fmt: skip
    rows["raw_erp.cost_centers"] = [
        {
            "cost_center_id": center, "cost_center_name": name, "cost_center_type": kind,
            "branch_id": branch, "region": region, "valid_from": date(2015, 1, 1),
        }
        for center, name, kind, branch, region in (
            ("CC-BR001", "Branch 001", "branch", BR1, "north"),
            ("CC-BR002", "Branch 002", "branch", BR2, "east"),
            (CC_HEAD_OFFICE, "Head Office", "head_office", None, None),
            (CC_TREASURY, "Treasury and Markets", "treasury", None, None),
        )
    ]  # fmt: skip
    rows["raw_erp.ftp_curve"] = [
        {"curve_date": month, "term_months": term, "ftp_rate": ftp_rate}
        for month, curve in FTP_CURVES.items()
        for term, ftp_rate in zip(FTP_TERMS, curve, strict=True)
    ]
    rows["raw_erp.unit_costs"] = [
        {"period": f"{month:%Y-%m}", "activity": activity, "unit_cost": unit_cost}
        for month, costs in UNIT_COSTS.items()
        for activity, unit_cost in costs.items()
    ]
    rows["raw_crm.relationship_managers"] = [
        {
            "rm_id": rm_id, "full_name": name, "team": team, "branch_id": branch,
            "hired_date": hired, "annual_cost": annual_cost, "updated_at": UPDATED_AT,
        }
        for rm_id, name, team, branch, hired, annual_cost in RELATIONSHIP_MANAGERS
    ]  # fmt: skip
    customers = {customer["customer_id"]: customer for customer in CUSTOMERS}
    contacts = []
    for contact_id, customer_id, rm_id in CONTACTS:
        person = customers.get(customer_id) or {
            "customer_id": None, "full_name": "Sun Hao", "national_id": "320101198808083333",
            "phone": "13600000009", "email": "sun.hao@example.com", "customer_type": "retail",
        }  # fmt: skip
        contacts.append(
            {
                "contact_id": contact_id, "cif": person["customer_id"],
                "full_name": person["full_name"], "national_id": person["national_id"],
                "phone": person["phone"], "email": person["email"],
                "contact_type": person["customer_type"], "rm_id": rm_id,
                "created_at": UPDATED_AT - timedelta(days=400), "updated_at": UPDATED_AT,
            }
        )  # fmt: skip
    rows["raw_crm.contacts"] = contacts
    rows["raw_crm.interactions"] = [
        {
            "interaction_id": interaction_id, "contact_id": contact_id, "rm_id": rm_id,
            "interaction_type": interaction_type,
            "occurred_at": datetime.fromisoformat(occurred_at), "updated_at": UPDATED_AT,
        }
        for interaction_id, contact_id, rm_id, interaction_type, occurred_at in INTERACTIONS
    ]  # fmt: skip
    return rows


def land(url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_raw_tables(conn)
        lineage = {"_batch_id": "fixture", "_logical_date": LOGICAL_DATE, "_loaded_at": LOADED_AT}
        for raw_table, records in rows.items():
            schema, name = raw_table.split(".")
            for record in records:
                row = record | lineage
                conn.execute(
                    sql.SQL("insert into {} ({}) values ({})").format(
                        sql.Identifier(schema, name),
                        sql.SQL(", ").join(map(sql.Identifier, row)),
                        sql.SQL(", ").join(sql.Placeholder() * len(row)),
                    ),
                    list(row.values()),
                )


def dbt_build(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [
        dbt, "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir",
        str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--log-path",
        str(tmp_path / "logs"), "--select", *SELECTION,
        # Tests that also need a model outside the selection (e.g. dim_customer) are skipped.
        "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
    ]  # fmt: skip
    env = {**os.environ, **dbt_env(url), "DO_NOT_TRACK": "1"}
    return subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )


def frame(url: str, query: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


# --- The independent computation ----------------------------------------------------


def configured_rates() -> dict[str, Any]:
    """The vars of dbt_project.yml and the finance seeds, as the build reads them."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    seeds = {
        name: pd.read_csv(FINANCE_SEEDS / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in (
            "cost_to_serve_activities",
            "economic_capital_ratios_by_risk_rating",
            "economic_capital_ratios_by_product_family",
            "deposit_capital_ratios_by_product_family",
            "rm_interaction_hours",
        )
    }
    return project["vars"] | seeds


def _months_open(opened: date, closed: date | None, months: Iterable[date]) -> list[date]:
    return [m for m in months if opened <= month_end(m) and (closed is None or closed >= m)]


def _reporting_months(rows: dict[str, list[dict[str, Any]]]) -> list[date]:
    dates = [r["balance_date"] for r in rows["raw_core_banking.balances"]]
    dates += [r["posted_date"] for r in rows["raw_core_banking.fee_postings"]]
    first, last = min(dates).replace(day=1), max(dates).replace(day=1)
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def expected_contribution(rows: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    rates = configured_rates()
    deposit_families = set(rates["contribution_deposit_product_families"])
    credit_families = set(rates["contribution_credit_product_families"])
    basis = Decimal(rates["contribution_day_count_basis"])
    hurdle = Decimal(str(rates["contribution_hurdle_rate"]))
    alpha = Decimal(str(rates["contribution_operational_risk_alpha"]))
    raroc_floor = Decimal(str(rates["raroc_min_economic_capital"]))
    deposit_ratio = {
        r.product_family: money(r.capital_ratio)
        for r in rates["deposit_capital_ratios_by_product_family"].itertuples()
    }
    default_days = int(rates["contribution_default_min_days_past_due"])
    months = _reporting_months(rows)
    accounts = pd.DataFrame(rows["raw_core_banking.accounts"]).set_index("account_id")
    families = {p["product_code"]: p["product_family"] for p in rows["raw_core_banking.products"]}
    accounts["family"] = accounts["product_code"].map(families)
    lines: list[dict[str, Any]] = []  # one row per customer, month and contribution part

    def add(customer_id: str, month: date, **values: Decimal) -> None:
        lines.append({"customer_id": customer_id, "month": month, **values})

    # Net interest income against the FTP curve of the month; interest accrued.
    ftp = {
        (r["curve_date"], r["term_months"]): money(r["ftp_rate"]) for r in rows["raw_erp.ftp_curve"]
    }
    for balance in rows["raw_core_banking.balances"]:
        account = accounts.loc[balance["account_id"]]
        month = balance["balance_date"].replace(day=1)
        terms = sorted(term for (curve, term) in ftp if curve == month)
        term = next((t for t in terms if t >= account["term_months"]), terms[-1])
        spread = ftp[(month, term)] - money(account["interest_rate"])
        average = money(balance["average_balance"])
        nii = average * spread * balance["days_in_month"] / basis
        interest = money(balance["interest_accrued"])
        if account["family"] in deposit_families:
            add(account["customer_id"], month, deposit_nii=nii, deposit_average_balance=average,
                deposit_interest_expense=interest,
                interest_rate_liquidity_capital=average
                * deposit_ratio.get(account["family"], Decimal(0)))  # fmt: skip
        elif account["family"] in credit_families:
            add(account["customer_id"], month, loan_nii=-nii, loan_average_balance=average,
                loan_interest_income=interest)  # fmt: skip
        else:
            add(account["customer_id"], month)

    # Fees by category.
    for fee in rows["raw_core_banking.fee_postings"]:
        amount = money(fee["amount"])
        add(fee["customer_id"], fee["posted_date"].replace(day=1),
            fee_income=amount, **{f"fee_{fee['fee_category']}": amount})  # fmt: skip

    # Activity cost: transactions by channel (UTC month) and upkeep per open account-month.
    activities = rates["cost_to_serve_activities"]
    by_channel = {
        row.transaction_channel: row.activity
        for row in activities.itertuples()
        if row.cost_driver == "transaction"
    }
    upkeep = [
        row.activity for row in activities.itertuples() if row.cost_driver == "open_account_month"
    ]
    unit_cost = {
        (r["period"], r["activity"]): money(r["unit_cost"]) for r in rows["raw_erp.unit_costs"]
    }
    for txn in rows["raw_core_banking.transactions"]:
        month = txn["posted_at"].astimezone(UTC).date().replace(day=1)
        cost = unit_cost[(f"{month:%Y-%m}", by_channel[txn["channel"]])]
        add(txn["customer_id"], month, activity_cost=cost)
    for _, account in accounts.iterrows():
        closed = account["closed_date"] if pd.notna(account["closed_date"]) else None
        for month in _months_open(account["opened_date"], closed, months):
            for activity in upkeep:
                add(
                    account["customer_id"],
                    month,
                    activity_cost=unit_cost[(f"{month:%Y-%m}", activity)],
                )

    # Relationship-manager cost by activity (the default rule): each interaction (UTC
    # month) with a contact whose CIF is a customer active that month costs the hours of
    # its type x the month's rm_hour unit cost, whoever the customer's manager is.
    assert rates["rm_cost_allocation_method"] == "activity"
    hours = {r.interaction_type: money(r.hours) for r in rates["rm_interaction_hours"].itertuples()}
    customer_of = {c["contact_id"]: c["cif"] for c in rows["raw_crm.contacts"] if c["cif"]}
    customers = {c["customer_id"]: c for c in rows["raw_core_banking.customers"]}
    for interaction in rows["raw_crm.interactions"]:
        customer_id = customer_of.get(interaction["contact_id"])
        month = interaction["occurred_at"].astimezone(UTC).date().replace(day=1)
        if customer_id is None or month not in months:
            continue
        customer = customers[customer_id]
        if _months_open(customer["onboarded_date"], customer["closed_date"], [month]):
            cost = hours[interaction["interaction_type"]] * unit_cost[(f"{month:%Y-%m}", "rm_hour")]
            add(customer_id, month, relationship_manager_cost=cost)

    # Expected loss and economic capital.
    rating_ratio = {
        r.risk_rating: money(r.capital_ratio)
        for r in rates["economic_capital_ratios_by_risk_rating"].itertuples()
    }
    family_ratio = {
        r.product_family: money(r.capital_ratio)
        for r in rates["economic_capital_ratios_by_product_family"].itertuples()
    }
    snapshots = {(s["loan_id"], s["snapshot_date"]): s for s in rows["raw_core_banking.loans"]}
    for balance in rows["raw_core_banking.balances"]:
        account = accounts.loc[balance["account_id"]]
        if account["family"] not in credit_families:
            continue
        month = balance["balance_date"].replace(day=1)
        snapshot = snapshots.get((balance["account_id"], balance["balance_date"]))
        if snapshot:
            exposure = money(snapshot["outstanding_balance"])
            in_default = snapshot["days_past_due"] >= default_days
            pd_ = Decimal(1) if in_default else money(snapshot["probability_of_default"])
            loss = pd_ * money(snapshot["loss_given_default"]) * exposure / 12
            capital = exposure * rating_ratio[snapshot["risk_rating"]]
        else:
            exposure = money(balance["month_end_balance"])
            loss, capital = Decimal(0), exposure * family_ratio[account["family"]]
        add(account["customer_id"], month, credit_exposure=exposure, expected_loss=loss,
            credit_capital=capital)  # fmt: skip

    parts = pd.DataFrame(lines).set_index(["customer_id", "month"])
    summed = parts.apply(lambda column: column.fillna(Decimal(0))).groupby(level=[0, 1]).sum()
    result = pd.DataFrame(index=summed.index)
    for column in summed.columns:
        result[column] = summed[column].map(cents)
    zero = pd.Series(Decimal(0), index=result.index)
    for column in (
        "deposit_average_balance", "loan_average_balance", "deposit_nii", "loan_nii",
        "fee_income", "deposit_interest_expense", "loan_interest_income", "activity_cost",
        "relationship_manager_cost", "branch_overhead_cost", "credit_exposure", "expected_loss",
        "credit_capital",
        "interest_rate_liquidity_capital",
        "fee_settlement", "fee_wealth_management", "fee_agency_insurance", "fee_cards",
        "fee_e_banking", "fee_international", "fee_investment_banking",
    ):  # fmt: skip
        if column not in result:
            result[column] = zero
    result["gross_contribution"] = result["deposit_nii"] + result["loan_nii"] + result["fee_income"]
    # Operational risk: alpha x annual gross income, the average gross of the customer's
    # months among the trailing twelve x 12, never below zero.
    operational = {}
    for customer_id, month in result.index:
        window = [
            result.loc[(customer_id, other), "gross_contribution"]
            for other in months
            if (customer_id, other) in result.index
            and other <= month
            and (month.year - other.year) * 12 + month.month - other.month < 12
        ]
        operational[(customer_id, month)] = alpha * max(sum(window) / len(window) * 12, 0)
    unrounded_operational = pd.Series(operational).reindex(result.index)
    result["operational_risk_capital"] = unrounded_operational.map(cents)
    result["economic_capital"] = (
        result["credit_capital"]
        + result["operational_risk_capital"]
        + result["interest_rate_liquidity_capital"]
    )
    unrounded_capital = (
        summed.get("credit_capital", zero)
        + summed.get("interest_rate_liquidity_capital", zero)
        + unrounded_operational
    )
    result["capital_charge"] = (unrounded_capital * hurdle / 12).map(cents)
    # Branch overhead stays unallocated under the default branch_overhead_allocation (none).
    assert rates["branch_overhead_allocation"] == "none"
    result["cost_to_serve"] = result["activity_cost"] + result["relationship_manager_cost"]
    result["net_contribution"] = (
        result["gross_contribution"]
        - result["cost_to_serve"]
        - result["expected_loss"]
        - result["capital_charge"]
    )
    result["raroc"] = [
        None
        if row.economic_capital < raroc_floor
        else (
            (row.gross_contribution - row.cost_to_serve - row.expected_loss)
            * 12
            / row.economic_capital
        ).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        for row in result.itertuples()
    ]
    result["deposit_contribution"] = result["deposit_nii"]
    result["loan_contribution"] = (
        result["loan_nii"]
        - result["expected_loss"]
        - (result["credit_capital"] * hurdle / 12).map(cents)
    )
    result["comprehensive_contribution"] = result["net_contribution"]
    return result.sort_index()


def expected_ledger(rows: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """GL per month and line: total, on branch cost centers, and elsewhere."""
    centers = {r["cost_center_id"]: r["cost_center_type"] for r in rows["raw_erp.cost_centers"]}
    gl = pd.DataFrame(rows["raw_erp.gl_postings"])
    gl["month"] = gl["period"].map(lambda period: date.fromisoformat(f"{period}-01"))
    gl["amount"] = gl["amount"].map(money)
    gl["is_branch"] = gl["cost_center_id"].map(centers) == "branch"
    gl["branch_amount"] = [
        amount if is_branch else Decimal(0)
        for amount, is_branch in zip(gl["amount"], gl["is_branch"], strict=True)
    ]
    gl["other_amount"] = gl["amount"] - gl["branch_amount"]
    return gl.groupby(["month", "gl_line"])[["amount", "branch_amount", "other_amount"]].sum()


# --- The test ---------------------------------------------------------------------------


def test_contribution_mart_matches_an_independent_computation(
    scratch_database: str, tmp_path: Path, test_settings: Settings
) -> None:
    rows = raw_rows()
    land(scratch_database, rows)
    bootstrap(replace(test_settings, warehouse_url=scratch_database))

    result = dbt_build(scratch_database, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]

    expected = expected_contribution(rows)
    mart = frame(scratch_database, "select * from marts_build.customer_contribution_monthly")
    mart = mart.set_index(["customer_id", "month"]).sort_index()

    # The cases the fixture was built for are present as designed.
    assert list(mart.index) == list(expected.index)
    assert (C3, MONTHS[2]) in mart.index  # fee-only month after the account closed
    assert mart.loc[(C3, MONTHS[2]), "gross_contribution"] == Decimal("480.00")
    assert mart.loc[(C4, MONTHS[2]), "credit_capital"] == 0  # mortgage repaid
    assert mart.loc[(C2, MONTHS[2]), "expected_loss"] > mart.loc[(C2, MONTHS[1]), "expected_loss"]
    assert mart.loc[(C1, MONTHS[0]), "relationship_manager_cost"] > 0
    assert mart.loc[(C3, MONTHS[0]), "relationship_manager_cost"] == 0  # no interaction
    assert mart.loc[(C4, MONTHS[2]), "relationship_manager_cost"] > 0  # no manager, a call
    assert (mart["net_contribution"] < 0).any()
    assert (mart["operational_risk_capital"] > 0).any()
    assert (mart["interest_rate_liquidity_capital"] > 0).any()
    # capital on both sides of the RAROC floor
    assert mart["raroc"].notna().any() and mart["raroc"].isna().any()

    columns = [c for c in expected.columns if c != "raroc"]
    assert set(columns) | {"raroc"} <= set(mart.columns)
    for column in columns:
        mismatches = [
            (key, mart.loc[key, column], value)
            for key, value in expected[column].items()
            if mart.loc[key, column] != value
        ]
        assert mismatches == [], column
    raroc_pairs = zip(mart["raroc"], expected["raroc"], strict=True)
    assert [(got, want) for got, want in raroc_pairs if got != want] == []

    reconciliation = frame(
        scratch_database, "select * from marts_build.contribution_gl_reconciliation"
    ).set_index(["month", "gl_line"])
    assert (reconciliation["difference"] == 0).all()
    ledger = expected_ledger(rows)
    assert sorted(reconciliation.index) == sorted(ledger.index)
    allocated_column = {
        "interest_income": "loan_interest_income",
        "interest_expense": "deposit_interest_expense",
        "fee_income": "fee_income",
        "operating_expense": "cost_to_serve",
    }
    for (month, line), row in reconciliation.iterrows():
        gl = ledger.loc[(month, line)]
        allocated = expected.xs(month, level="month")[allocated_column[line]].sum()
        assert row["gl_amount"] == gl["amount"], (month, line)
        assert row["allocated_amount"] == allocated, (month, line)
        assert row["unallocated_non_branch_amount"] == gl["other_amount"], (month, line)
        residual = gl["branch_amount"] - allocated if line == "operating_expense" else 0
        assert row["unallocated_branch_residual_amount"] == residual, (month, line)
        share = (gl["other_amount"] + residual) / gl["amount"]
        assert row["unallocated_share"] == share.quantize(Decimal("0.000001"), ROUND_HALF_UP), (
            month,
            line,
        )
        alarm = share > Decimal(str(configured_rates()["gl_unallocated_share_alarm"]))
        assert row["is_unallocated_alarm"] == alarm, (month, line)
        # Interest and fees: what the branches booked is exactly what customers carry.
        if line != "operating_expense":
            assert gl["branch_amount"] == allocated, (month, line)
