"""The published star schema against the core-banking source, computed independently.

Every expected number here comes from the source database with pandas (or plain
SQL on the source); none comes from the project's SQL. Money is compared as
Decimal, to the cent.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from cvw.runner import DagRunResult
from tests.integration.frames import frame, scalar

pytestmark = pytest.mark.integration

DEPOSIT_FAMILIES = ("current_deposit", "term_deposit")
# Days-past-due buckets of the credit-quality view: upper bounds, inclusive.
DPD_BUCKETS = {"current": 0, "1-29": 29, "30-59": 59, "60-89": 89, "90+": None}
CHANNELS = ("branch", "atm", "online", "mobile")
CHANNEL_MIX_MONTHS = 3


def _require_published(first_run: DagRunResult) -> None:
    """The marts read here exist only when the run published them."""
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"


def _decimal_sum(values: pd.Series) -> Decimal:
    return sum(values, Decimal("0"))


def _dpd_bucket(days: int) -> str:
    for bucket, upper in DPD_BUCKETS.items():
        if upper is None or days <= upper:
            return bucket
    raise AssertionError(days)


def test_fct_transactions_has_every_source_transaction(first_run, test_settings):
    _require_published(first_run)
    source = frame(
        test_settings.core_banking_url, "select transaction_id, amount from transactions"
    )
    published = frame(
        test_settings.warehouse_url, "select transaction_id, amount from marts.fct_transactions"
    )
    assert len(source) > 0
    assert len(published) == len(source)
    assert set(published["transaction_id"]) == set(source["transaction_id"])
    assert _decimal_sum(published["amount"]) == _decimal_sum(source["amount"])


def test_fct_account_balance_monthly_sums_equal_source_balances(first_run, test_settings):
    _require_published(first_run)
    source = frame(
        test_settings.core_banking_url,
        "select balance_date, average_balance, month_end_balance from balances",
    )
    source["month"] = pd.to_datetime(source["balance_date"]).dt.to_period("M").dt.start_time.dt.date
    published = frame(
        test_settings.warehouse_url,
        "select month, average_balance, month_end_balance from marts.fct_account_balance_monthly",
    )
    assert len(published) == len(source)
    for column in ("average_balance", "month_end_balance"):
        expected = source.groupby("month")[column].agg(_decimal_sum).to_dict()
        actual = published.groupby("month")[column].agg(_decimal_sum).to_dict()
        assert actual == expected, column


def test_fct_loan_monthly_dpd_buckets_match_source_loans(first_run, test_settings):
    _require_published(first_run)
    loans = frame(test_settings.core_banking_url, "select days_past_due from loans")
    expected = loans["days_past_due"].map(_dpd_bucket).value_counts().to_dict()
    published = frame(
        test_settings.warehouse_url,
        "select dpd_bucket, count(*) as loans from marts.fct_loan_monthly group by dpd_bucket",
    )
    assert dict(zip(published["dpd_bucket"], published["loans"], strict=True)) == expected
    assert expected.get("current", 0) > 0


def test_dim_customer_has_one_current_row_per_source_customer(first_run, test_settings):
    _require_published(first_run)
    source = set(
        frame(test_settings.core_banking_url, "select customer_id from customers")["customer_id"]
    )
    current = frame(
        test_settings.warehouse_url,
        "select customer_id from marts.dim_customer where is_current",
    )["customer_id"]
    assert current.is_unique
    assert set(current) == source
    # The source did not change between this session's runs, so reruns added no version.
    assert scalar(test_settings.warehouse_url, "select count(*) from marts.dim_customer") == len(
        source
    )


def test_customer_360_deposit_balance_equals_latest_source_deposits(first_run, test_settings):
    _require_published(first_run)
    balances = frame(
        test_settings.core_banking_url,
        "select b.balance_date, b.month_end_balance, p.product_family"
        " from balances as b"
        " inner join accounts as a on b.account_id = a.account_id"
        " inner join products as p on a.product_code = p.product_code",
    )
    latest = balances[balances["balance_date"] == balances["balance_date"].max()]
    expected = _decimal_sum(
        latest.loc[latest["product_family"].isin(DEPOSIT_FAMILIES), "month_end_balance"]
    )
    published = scalar(
        test_settings.warehouse_url, "select sum(deposit_balance) from marts.customer_360"
    )
    assert expected > 0
    assert published == expected


def test_customer_360_channel_mix_of_the_busiest_customer(first_run, test_settings):
    _require_published(first_run)
    core = test_settings.core_banking_url
    last_balance = scalar(core, "select max(balance_date) from balances")
    last_fee = scalar(core, "select max(posted_date) from fee_postings")
    latest_month = pd.Timestamp(max(last_balance, last_fee)).to_period("M")
    window = pd.period_range(latest_month - (CHANNEL_MIX_MONTHS - 1), latest_month, freq="M")
    transactions = frame(core, "select customer_id, posted_at, channel from transactions")
    posted_at_utc = pd.to_datetime(transactions["posted_at"], utc=True).dt.tz_localize(None)
    in_window = transactions[posted_at_utc.dt.to_period("M").isin(window)]
    counts = in_window.groupby("customer_id").size()
    busiest = counts[counts == counts.max()].index.min()
    channels = in_window.loc[in_window["customer_id"] == busiest, "channel"]

    row = frame(
        test_settings.warehouse_url,
        "select * from marts.customer_360 where customer_id = %s",
        (busiest,),
    ).iloc[0]
    assert row["channel_mix_transaction_count"] == len(channels)
    for channel in CHANNELS:
        expected = (channels == channel).sum() / len(channels)
        assert abs(float(row[f"channel_share_{channel}"]) - expected) <= 1e-6, channel
