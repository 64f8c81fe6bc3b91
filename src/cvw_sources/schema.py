"""The source systems' own table layouts, as the simulated systems define them.

These belong to the sources, not to the warehouse: the warehouse keeps its own
expectations of each source in ``cvw.catalog`` and checks what arrives against
them. Keeping the two apart lets a test (or a future release of a source) change a
layout here and watch the warehouse catch the drift. Core banking is a PostgreSQL
database, the CRM a SQLite file behind the REST API, the ERP CSV exports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    change_column: str

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


MONEY = "numeric(18,2)"
RATE = "numeric(9,6)"


def _cols(*specs: str) -> tuple[Column, ...]:
    """Columns from ``"name type"`` strings; a trailing ``!`` marks NOT NULL."""
    columns = []
    for spec in specs:
        name, type_ = spec.split(" ", 1)
        required = type_.endswith("!")
        columns.append(Column(name, type_.rstrip("!").strip(), nullable=not required))
    return tuple(columns)


CORE_BANKING = (
    Table(
        "customers",
        _cols(
            "customer_id text!",
            "customer_type text!",  # retail | corporate
            "full_name text!",
            "national_id text",  # resident ID (retail) or registration number (corporate)
            "phone text",
            "email text",
            "birth_date date",
            "industry text",
            "segment text!",  # retail: mass|affluent|private; corporate: sme|mid_market|large
            "branch_id text!",
            "region text!",
            "onboarded_date date!",
            "status text!",  # active | dormant | closed
            "closed_date date",
            "credit_rating text",  # AAA .. CCC
            "group_id text",  # corporate group (集团客户), null outside a group
            "group_role text",  # parent | subsidiary | related_party
            "updated_at timestamptz!",
        ),
        ("customer_id",),
        "updated_at",
    ),
    Table(
        "products",
        _cols(
            "product_code text!",
            "product_name text!",
            "product_family text!",  # current_deposit|term_deposit|loan|card|wealth
            "term_months integer!",
            f"standard_rate {RATE}!",
            "is_credit boolean!",
            "updated_at timestamptz!",
        ),
        ("product_code",),
        "updated_at",
    ),
    Table(
        "accounts",
        _cols(
            "account_id text!",
            "customer_id text!",
            "product_code text!",
            "branch_id text!",
            "currency text!",
            "opened_date date!",
            "closed_date date",
            "status text!",  # open | closed
            f"interest_rate {RATE}!",
            "term_months integer!",
            "updated_at timestamptz!",
        ),
        ("account_id",),
        "updated_at",
    ),
    Table(
        "balances",
        _cols(
            "account_id text!",
            "balance_date date!",  # month end
            f"month_end_balance {MONEY}!",
            f"average_balance {MONEY}!",
            f"interest_accrued {MONEY}!",  # interest the account earned or paid that month
            "days_in_month integer!",
            "updated_at timestamptz!",
        ),
        ("account_id", "balance_date"),
        "updated_at",
    ),
    Table(
        "transactions",
        _cols(
            "transaction_id bigint!",
            "account_id text!",
            "customer_id text!",
            "posted_at timestamptz!",
            "channel text!",  # branch | atm | online | mobile
            "transaction_type text!",  # deposit | withdrawal | transfer | payment
            f"amount {MONEY}!",
        ),
        ("transaction_id",),
        "posted_at",
    ),
    Table(
        "loans",
        _cols(
            "loan_id text!",  # the loan's account_id
            "snapshot_date date!",  # month end
            "customer_id text!",
            f"principal_amount {MONEY}!",
            f"outstanding_balance {MONEY}!",
            f"interest_rate {RATE}!",
            "term_months integer!",
            "risk_rating text!",
            "probability_of_default numeric(7,6)!",
            "loss_given_default numeric(7,6)!",
            "days_past_due integer!",
            "updated_at timestamptz!",
        ),
        ("loan_id", "snapshot_date"),
        "updated_at",
    ),
    Table(
        "fee_postings",
        _cols(
            "fee_id bigint!",
            "customer_id text!",
            "account_id text",
            "branch_id text!",
            "fee_category text!",
            f"amount {MONEY}!",
            "posted_date date!",
            "updated_at timestamptz!",
        ),
        ("fee_id",),
        "updated_at",
    ),
)

ERP = (
    Table(
        "gl_postings",
        _cols(
            "posting_id text!",
            "posting_date date!",
            "period text!",  # YYYY-MM
            "gl_account text!",
            "gl_line text!",  # interest_income|interest_expense|fee_income|operating_expense
            "cost_center_id text!",
            f"amount {MONEY}!",
            "currency text!",
            "description text",
        ),
        ("posting_id",),
        "posting_date",
    ),
    Table(
        "cost_centers",
        _cols(
            "cost_center_id text!",
            "cost_center_name text!",
            "cost_center_type text!",  # branch | head_office | treasury
            "branch_id text",
            "region text",
            "valid_from date!",
        ),
        ("cost_center_id", "valid_from"),
        "valid_from",
    ),
    Table(
        "ftp_curve",
        _cols("curve_date date!", "term_months integer!", f"ftp_rate {RATE}!"),
        ("curve_date", "term_months"),
        "curve_date",
    ),
    Table(
        "unit_costs",
        _cols("period text!", "activity text!", f"unit_cost {MONEY}!"),
        ("period", "activity"),
        "period",
    ),
    Table(
        "invoices",
        _cols(
            "invoice_id text!",
            "billing_account_id text!",
            "billing_name text!",
            "registration_no text",
            "service_type text!",
            f"amount {MONEY}!",
            "issued_date date!",
            "due_date date!",
            "paid_date date",
            f"paid_amount {MONEY}",
        ),
        ("invoice_id",),
        "issued_date",
    ),
)

CRM = (
    Table(
        "contacts",
        _cols(
            "contact_id text!",
            "cif text",  # core-banking customer_id as typed in CRM: may be missing or wrong
            "full_name text!",
            "national_id text",
            "phone text",
            "email text",
            "contact_type text!",  # retail | corporate
            "rm_id text",
            "created_at timestamptz!",
            "updated_at timestamptz!",
        ),
        ("contact_id",),
        "updated_at",
    ),
    Table(
        "relationship_managers",
        _cols(
            "rm_id text!",
            "full_name text!",
            "team text!",
            "branch_id text!",
            "hired_date date!",
            f"annual_cost {MONEY}!",
            "updated_at timestamptz!",
        ),
        ("rm_id",),
        "updated_at",
    ),
    Table(
        "interactions",
        _cols(
            "interaction_id text!",
            "contact_id text!",
            "rm_id text",
            "interaction_type text!",  # visit | call | complaint
            "occurred_at timestamptz!",
            "follow_up_due_date date",
            "follow_up_done_date date",
            "updated_at timestamptz!",
        ),
        ("interaction_id",),
        "updated_at",
    ),
    Table(
        "surveys",
        _cols(
            "survey_id text!",
            "contact_id text!",
            "score integer!",  # 1..10
            "responded_at timestamptz!",
            "updated_at timestamptz!",
        ),
        ("survey_id",),
        "updated_at",
    ),
    Table(
        "opportunities",
        _cols(
            "opportunity_id text!",
            "contact_id text!",
            "rm_id text",
            "product_code text!",
            f"intended_amount {MONEY}!",
            "stage text!",  # lead | qualified | proposal | won | lost
            "expected_close_date date!",
            f"booked_amount {MONEY}",
            "closed_date date",
            "created_at timestamptz!",
            "updated_at timestamptz!",
        ),
        ("opportunity_id",),
        "updated_at",
    ),
    Table(
        "campaign_responses",
        _cols(
            "response_id text!",
            "campaign_id text!",
            "contact_id text!",
            "channel text!",  # email | sms | mobile_app
            "response text!",  # opened | clicked | accepted | declined
            "responded_at timestamptz!",
            "updated_at timestamptz!",
        ),
        ("response_id",),
        "updated_at",
    ),
)


def erp_table(name: str) -> Table:
    return next(table for table in ERP if table.name == name)


def create_table_sql(table: Table, qualified_name: str) -> str:
    """PostgreSQL DDL for ``table`` under ``qualified_name``."""
    body = ",\n    ".join(
        f"{column.name} {column.type}{'' if column.nullable else ' not null'}"
        for column in table.columns
    )
    return f"create table if not exists {qualified_name} (\n    {body}\n)"
