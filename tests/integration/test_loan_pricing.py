"""Loan pricing by comprehensive return and the non-performing-loan ratio.

Expected values are recomputed here with pandas from the published loan snapshots,
account balances, contribution and tiers, the staging accounts, FTP curve and
customers, the account activity costs and the capital-ratio seed, not from the
marts' SQL: the FTP term match, net interest income, expected loss, credit capital
and the minimum rate are all derived again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvw.config import PROJECT_ROOT
from tests.integration.frames import dbt_vars, frame

pytestmark = pytest.mark.integration

CAPITAL_RATIOS_CSV = (
    PROJECT_ROOT
    / "dbt_project"
    / "seeds"
    / "finance"
    / "economic_capital_ratios_by_risk_rating.csv"
)
# Rows whose return sits within a cent of the capital charge may flip with rounding.
BOUNDARY_CNY = 0.01


def to_float(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return data.astype({column: float for column in columns})


def matched_ftp_rates(loan_months: pd.DataFrame, ftp: pd.DataFrame) -> pd.Series:
    """The FTP rate of each loan-month: the month's curve at the smallest term at or
    above the account's term, else at the longest term."""
    rates = []
    for month, term in zip(loan_months["month"], loan_months["account_term_months"], strict=True):
        curve = ftp[ftp["curve_date"] == month]
        at_or_above = curve[curve["term_months"] >= term]
        point = (
            at_or_above.nsmallest(1, "term_months")
            if len(at_or_above)
            else curve.nlargest(1, "term_months")
        )
        rates.append(float(point["ftp_rate"].iloc[0]))
    return pd.Series(rates, index=loan_months.index)


def expected_loan_pricing(url: str, variables: dict) -> pd.DataFrame:
    loans = frame(
        url,
        "select loan_id, month, customer_id, exposure, risk_rating, probability_of_default,"
        " loss_given_default, days_past_due from marts.fct_loan_monthly",
    )
    balances = frame(
        url,
        "select account_id as loan_id, month, product_family, average_balance, days_in_month"
        " from marts.fct_account_balance_monthly",
    )
    accounts = frame(
        url,
        "select account_id as loan_id, interest_rate, term_months as account_term_months"
        " from staging.stg_core_banking__accounts",
    )
    ftp = frame(url, "select curve_date, term_months, ftp_rate from staging.stg_erp__ftp_rates")
    activity = frame(
        url,
        "select account_id as loan_id, month, sum(activity_cost) as activity_cost"
        " from intermediate.int_account_activity_months_costed group by account_id, month",
    )
    contribution = frame(
        url,
        "select customer_id, month, net_contribution, raroc"
        " from marts.customer_contribution_monthly",
    )
    ratios = pd.read_csv(CAPITAL_RATIOS_CSV)

    credit_balances = balances[
        balances["product_family"].isin(variables["contribution_credit_product_families"])
    ]
    data = loans.merge(credit_balances, on=["loan_id", "month"], how="inner")
    data = data.merge(accounts, on="loan_id", how="inner")
    data = data.merge(activity, on=["loan_id", "month"], how="left")
    data = data.merge(ratios, on="risk_rating", how="left")
    data = data.merge(contribution, on=["customer_id", "month"], how="left")
    data["activity_cost"] = data["activity_cost"].fillna(0)
    data = to_float(
        data,
        [
            "exposure",
            "probability_of_default",
            "loss_given_default",
            "average_balance",
            "interest_rate",
            "activity_cost",
            "net_contribution",
            "raroc",
        ],
    )
    data["ftp_rate"] = matched_ftp_rates(data, ftp)

    hurdle = variables["contribution_hurdle_rate"]
    basis = variables["contribution_day_count_basis"]
    in_default = data["days_past_due"] >= variables["contribution_default_min_days_past_due"]
    applied_pd = np.where(in_default, 1.0, data["probability_of_default"])
    data["expected_loss"] = applied_pd * data["loss_given_default"] * data["exposure"] / 12
    data["credit_capital"] = data["exposure"] * data["capital_ratio"]
    data["capital_charge"] = data["credit_capital"] * hurdle / 12
    days = data["days_in_month"].astype(float)
    data["loan_nii"] = (
        data["average_balance"] * (data["interest_rate"] - data["ftp_rate"]) * days / basis
    )
    data["standalone_return"] = data["loan_nii"] - data["expected_loss"] - data["activity_cost"]
    data["minimum_rate"] = data["ftp_rate"] + (
        data["expected_loss"] + data["activity_cost"] + data["capital_charge"]
    ) * basis / (data["average_balance"].replace(0, np.nan) * days)
    data["standalone_raroc"] = np.where(
        data["credit_capital"] >= variables["raroc_min_economic_capital"],
        data["standalone_return"] * 12 / data["credit_capital"],
        np.nan,
    )
    data["meets_hurdle_standalone"] = data["standalone_return"] >= data["capital_charge"]
    data["meets_hurdle_relationship"] = data["net_contribution"] >= 0
    return data.set_index(["loan_id", "month"]).sort_index()


@pytest.fixture(scope="module")
def loan_pricing(first_run, test_settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    url = test_settings.warehouse_url
    expected = expected_loan_pricing(url, dbt_vars())
    actual = frame(url, "select * from marts.loan_pricing_review_monthly")
    numeric = [
        "average_balance",
        "interest_rate",
        "ftp_rate",
        "minimum_rate",
        "rate_gap",
        "loan_nii",
        "expected_loss",
        "activity_cost",
        "standalone_return",
        "credit_capital",
        "capital_charge",
        "standalone_raroc",
        "relationship_raroc",
        "relationship_net_contribution",
    ]
    actual = to_float(actual, numeric).set_index(["loan_id", "month"]).sort_index()
    return actual, expected


def test_loan_pricing_covers_every_loan_month(loan_pricing):
    actual, expected = loan_pricing
    assert len(actual) > 0
    assert list(actual.index) == list(expected.index)


def test_loan_pricing_lines_match_pandas(loan_pricing):
    actual, expected = loan_pricing
    for column, atol in [
        ("ftp_rate", 1e-9),
        ("loan_nii", 0.006),
        ("expected_loss", 0.006),
        ("activity_cost", 0.006),
        ("credit_capital", 0.006),
        ("capital_charge", 0.006),
        ("standalone_return", 0.011),
        ("minimum_rate", 1e-8),
        ("standalone_raroc", 1e-5),
    ]:
        np.testing.assert_allclose(
            actual[column], expected[column], rtol=0, atol=atol, err_msg=column
        )
    np.testing.assert_allclose(
        actual["rate_gap"],
        expected["interest_rate"] - expected["minimum_rate"],
        rtol=0,
        atol=1e-8,
    )
    np.testing.assert_allclose(actual["relationship_raroc"], expected["raroc"], rtol=0, atol=1e-9)


def test_hurdle_flags_match_pandas(loan_pricing):
    actual, expected = loan_pricing
    clear = (expected["standalone_return"] - expected["capital_charge"]).abs() >= BOUNDARY_CNY
    assert clear.mean() > 0.99
    assert (
        actual.loc[clear, "meets_hurdle_standalone"]
        == expected.loc[clear, "meets_hurdle_standalone"]
    ).all()
    with_rate = expected["minimum_rate"].notna() & clear
    assert (
        actual.loc[with_rate, "meets_hurdle_standalone"]
        == (expected.loc[with_rate, "interest_rate"] >= expected.loc[with_rate, "minimum_rate"])
    ).all()
    assert (actual["meets_hurdle_relationship"] == expected["meets_hurdle_relationship"]).all()
    # Net contribution >= 0 is RAROC >= hurdle wherever RAROC is published.
    hurdle = dbt_vars()["contribution_hurdle_rate"]
    published = expected["raroc"].notna() & (expected["net_contribution"].abs() >= BOUNDARY_CNY)
    assert (
        actual.loc[published, "meets_hurdle_relationship"]
        == (expected.loc[published, "raroc"] >= hurdle)
    ).all()
    relationship_priced = ~actual["meets_hurdle_standalone"] & actual["meets_hurdle_relationship"]
    assert (actual["is_relationship_priced"] == relationship_priced).all()


def test_demo_data_has_relationship_priced_loans(loan_pricing):
    actual, _ = loan_pricing
    assert actual["is_relationship_priced"].sum() >= 1
    # and loans that clear the hurdle on their own, so the review separates them
    assert actual["meets_hurdle_standalone"].sum() >= 1


def expected_npl(url: str, variables: dict) -> pd.DataFrame:
    loans = frame(
        url, "select month, customer_id, exposure, days_past_due from marts.fct_loan_monthly"
    )
    segments = frame(url, "select customer_id, segment from staging.stg_core_banking__customers")
    tiers = frame(url, "select customer_id, month, tier from marts.customer_tier_monthly")
    data = loans.merge(segments, on="customer_id", how="left")
    data = data.merge(tiers, on=["customer_id", "month"], how="left")
    data["exposure"] = data["exposure"].astype(float)
    line = variables["contribution_default_min_days_past_due"]
    data["non_performing_balance"] = data["exposure"].where(data["days_past_due"] >= line, 0.0)

    frames = []
    for breakdown, keys in [("total", []), ("segment", ["segment"]), ("tier", ["tier"])]:
        grouped = (
            data.groupby(["month", *keys], dropna=False)[["exposure", "non_performing_balance"]]
            .sum()
            .reset_index()
        )
        grouped["breakdown"] = breakdown
        frames.append(grouped)
    result = pd.concat(frames, ignore_index=True)
    result["npl_ratio"] = result["non_performing_balance"] / result["exposure"]
    result = result.astype({"segment": object, "tier": object})
    return result.fillna({"segment": "-", "tier": "-"}).set_index(
        ["month", "breakdown", "segment", "tier"]
    )


def test_npl_ratio_matches_pandas(first_run, test_settings):
    url = test_settings.warehouse_url
    expected = expected_npl(url, dbt_vars()).sort_index()
    actual = frame(url, "select * from marts.npl_ratio_monthly")
    actual = to_float(actual, ["outstanding_balance", "non_performing_balance", "npl_ratio"])
    actual = actual.fillna({"segment": "-", "tier": "-"})
    actual = actual.set_index(["month", "breakdown", "segment", "tier"]).sort_index()

    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(
        actual["outstanding_balance"], expected["exposure"], rtol=0, atol=0.005
    )
    np.testing.assert_allclose(
        actual["non_performing_balance"], expected["non_performing_balance"], rtol=0, atol=0.005
    )
    np.testing.assert_allclose(actual["npl_ratio"], expected["npl_ratio"], rtol=0, atol=1e-9)
    # every breakdown splits the same month total
    totals = actual.xs("total", level="breakdown")["outstanding_balance"].droplevel(
        ["segment", "tier"]
    )
    for breakdown in ["segment", "tier"]:
        split = actual.xs(breakdown, level="breakdown")["outstanding_balance"]
        np.testing.assert_allclose(
            split.groupby(level="month").sum(), totals, rtol=0, atol=0.005, err_msg=breakdown
        )
