"""Customer sub-tiers and the tier migration matrix.

Expected values are computed here with pandas from lower-level tables and the vars of
``dbt_project.yml``, not from the marts' SQL:

- active customer months, tenure, industry, region and customer type from
  ``staging.stg_core_banking__customers``; the reporting months from the staging
  balances and fee postings;
- contribution_l12m and net_contribution_l12m from
  ``marts.customer_contribution_monthly`` and AUM from
  ``marts.fct_account_balance_monthly``;
- the migration matrix from the published tiers (``marts.customer_tier_monthly``: only
  customer_id, month and tier) and ``marts.customer_contribution_monthly``.

Tolerances: sub-tier reasons, row keys and customer counts must match exactly; money
to the cent (0.01 CNY). Percentiles are rounded to 6 decimals before the thresholds
are applied, as the mart stores them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.integration.frames import dbt_vars, frame

pytestmark = pytest.mark.integration

MONEY_ATOL = 0.01


def reporting_months(url: str) -> list[pd.Timestamp]:
    """Every month from the first to the last month with a balance or a fee posting."""
    bounds = frame(
        url,
        "select min(activity_date) as first_date, max(activity_date) as last_date from ("
        " select balance_date as activity_date from staging.stg_core_banking__balances"
        " union all"
        " select posted_date from staging.stg_core_banking__fee_postings) as activity",
    ).iloc[0]
    first = pd.Timestamp(bounds["first_date"]).to_period("M")
    last = pd.Timestamp(bounds["last_date"]).to_period("M")
    return [period.to_timestamp() for period in pd.period_range(first, last, freq="M")]


def _whole_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def active_customer_months(customers: pd.DataFrame, months: list[pd.Timestamp]) -> pd.DataFrame:
    """One row per customer and month: onboarded by the month end, not closed before
    the month start; with whole months of tenure at the month end."""
    rows = []
    for month in months:
        month_end = month + pd.offsets.MonthEnd(0)
        for customer in customers.itertuples():
            onboarded = pd.Timestamp(customer.onboarded_date)
            closed = customer.closed_date
            if onboarded > month_end or (pd.notna(closed) and pd.Timestamp(closed) < month):
                continue
            rows.append(
                {
                    "customer_id": customer.customer_id,
                    "month": month,
                    "tenure_months": _whole_months(onboarded, month_end),
                }
            )
    return pd.DataFrame(rows)


def _percentile(values: pd.Series) -> pd.Series:
    """percent_rank: (rank - 1) / (n - 1), ties share the lowest rank, 0 when alone."""
    count = len(values)
    if count <= 1:
        return pd.Series(0.0, index=values.index)
    ranks = values.rank(method="min")
    return ((ranks - 1) / (count - 1)).round(6)


def _retail_reason(row: pd.Series, v: dict) -> str:
    if row["aum"] >= v["sub_tier_private_min_aum"]:
        return "private.aum"
    if row["contribution_l12m"] >= v["sub_tier_private_min_contribution_l12m"]:
        return "private.contribution"
    if row["aum"] >= v["sub_tier_affluent_min_aum"]:
        return "affluent.aum"
    if row["contribution_l12m"] >= v["sub_tier_affluent_min_contribution_l12m"]:
        return "affluent.contribution"
    return "mass.below_thresholds"


def _corporate_reason(row: pd.Series, v: dict) -> str:
    seasoned = row["tenure_months"] >= v["sub_tier_key_account_min_tenure_months"]
    positive = row["contribution_l12m"] > 0
    industry_bar = 1 - v["sub_tier_industry_key_account_top_share"]
    region_bar = 1 - v["sub_tier_regional_key_account_top_share"]
    potential_bar = 1 - v["sub_tier_potential_key_account_top_share"]
    if seasoned and positive and pd.notna(row["industry"]) and row["industry_pct"] >= industry_bar:
        return "industry_key_account.top_in_industry"
    if seasoned and positive and pd.notna(row["region"]) and row["region_pct"] >= region_bar:
        return "regional_key_account.top_in_region"
    if not seasoned and positive and row["corporate_pct"] >= potential_bar:
        return "potential_key_account.top_contribution"
    if not seasoned and row["aum"] > 0 and row["aum_pct"] >= potential_bar:
        return "potential_key_account.top_aum"
    return "not_key_account.no_rule_matched"


def expected_sub_tiers(
    active: pd.DataFrame,
    customers: pd.DataFrame,
    contributions: pd.DataFrame,
    balances: pd.DataFrame,
    v: dict,
) -> pd.DataFrame:
    frame = active.merge(
        customers[["customer_id", "customer_type", "industry", "region"]], on="customer_id"
    )
    lookback = v["tier_lookback_months"]
    window = frame[["customer_id", "month"]].merge(contributions, on="customer_id", how="left")
    months_back = (window["month"].dt.year - window["contribution_month"].dt.year) * 12 + (
        window["month"].dt.month - window["contribution_month"].dt.month
    )
    in_window = (months_back >= 0) & (months_back < lookback)
    for column in ("gross_contribution", "net_contribution"):
        window[column] = window[column].where(in_window, 0.0).fillna(0.0)
    sums = window.groupby(["customer_id", "month"])[["gross_contribution", "net_contribution"]]
    l12m = sums.sum().round(2)
    l12m.columns = ["contribution_l12m", "net_contribution_l12m"]
    frame = frame.merge(l12m.reset_index(), on=["customer_id", "month"])

    families = dbt_vars()["aum_product_families"]
    aum = (
        balances[balances["product_family"].isin(families)]
        .groupby(["customer_id", "month"])["month_end_balance"]
        .sum()
        .rename("aum")
        .reset_index()
    )
    frame = frame.merge(aum, on=["customer_id", "month"], how="left")
    frame["aum"] = frame["aum"].fillna(0.0).round(2)

    corporate = frame[frame["customer_type"] == "corporate"].copy()
    by_month = corporate.groupby("month")
    corporate["corporate_pct"] = by_month["contribution_l12m"].transform(_percentile)
    corporate["aum_pct"] = by_month["aum"].transform(_percentile)
    corporate["industry_pct"] = corporate.groupby(["month", "industry"], dropna=False)[
        "contribution_l12m"
    ].transform(_percentile)
    corporate["region_pct"] = corporate.groupby(["month", "region"], dropna=False)[
        "contribution_l12m"
    ].transform(_percentile)
    corporate["sub_tier_reason"] = corporate.apply(_corporate_reason, axis=1, v=v)

    retail = frame[frame["customer_type"] == "retail"].copy()
    retail["sub_tier_reason"] = retail.apply(_retail_reason, axis=1, v=v)
    return pd.concat([retail, corporate]).set_index(["customer_id", "month"]).sort_index()


def expected_migrations(
    tiers: pd.DataFrame, contributions: pd.DataFrame, months: list[pd.Timestamp]
) -> pd.DataFrame:
    """Per month after the first: customers and contribution per (from_tier, to_tier)."""
    gross = contributions.set_index(["customer_id", "contribution_month"])["gross_contribution"]
    rows = []
    for previous, month in zip(months, months[1:], strict=False):
        now = tiers[tiers["month"] == month].set_index("customer_id")["tier"]
        before = tiers[tiers["month"] == previous].set_index("customer_id")["tier"]
        for customer_id in now.index.union(before.index):
            churned = customer_id not in now.index
            contribution_month = previous if churned else month
            rows.append(
                {
                    "month": month,
                    "from_tier": before.get(customer_id, "new"),
                    "to_tier": "churned" if churned else now[customer_id],
                    "contribution": float(gross.get((customer_id, contribution_month), 0.0)),
                }
            )
    moves = pd.DataFrame(rows)
    return (
        moves.groupby(["month", "from_tier", "to_tier"])
        .agg(customers=("contribution", "size"), contribution=("contribution", "sum"))
        .sort_index()
    )


@pytest.fixture(scope="module")
def inputs(first_run, test_settings) -> dict:
    url = test_settings.warehouse_url
    customers = frame(
        url,
        "select customer_id, customer_type, industry, region, onboarded_date, closed_date"
        " from staging.stg_core_banking__customers",
    )
    contributions = frame(
        url,
        "select customer_id, month as contribution_month, gross_contribution, net_contribution"
        " from marts.customer_contribution_monthly",
    )
    contributions["contribution_month"] = pd.to_datetime(contributions["contribution_month"])
    for column in ("gross_contribution", "net_contribution"):
        contributions[column] = contributions[column].astype(float)
    balances = frame(
        url,
        "select customer_id, month, product_family, month_end_balance"
        " from marts.fct_account_balance_monthly",
    )
    balances["month"] = pd.to_datetime(balances["month"])
    balances["month_end_balance"] = balances["month_end_balance"].astype(float)
    tiers = frame(
        url,
        "select customer_id, month, tier, tier_reason, sub_tier, sub_tier_reason, customer_type,"
        " aum, contribution_percentile from marts.customer_tier_monthly",
    )
    tiers["month"] = pd.to_datetime(tiers["month"])
    months = reporting_months(url)
    return {
        "url": url,
        "customers": customers,
        "contributions": contributions,
        "balances": balances,
        "tiers": tiers,
        "months": months,
        "active": active_customer_months(customers, months),
    }


def test_one_tier_row_per_active_customer_month(inputs):
    active = inputs["active"].set_index(["customer_id", "month"]).sort_index()
    tiers = inputs["tiers"].set_index(["customer_id", "month"]).sort_index()

    assert tiers.index.is_unique
    assert list(tiers.index) == list(active.index)
    per_month = tiers.groupby(level="month").size()
    assert per_month.to_dict() == active.groupby(level="month").size().to_dict()


def test_sub_tiers_match_pandas(inputs):
    v = dbt_vars()
    expected = expected_sub_tiers(
        inputs["active"], inputs["customers"], inputs["contributions"], inputs["balances"], v
    )
    actual = inputs["tiers"].set_index(["customer_id", "month"]).sort_index()

    assert list(actual.index) == list(expected.index)
    assert actual["customer_type"].tolist() == expected["customer_type"].tolist()
    np.testing.assert_allclose(
        actual["aum"].astype(float), expected["aum"], rtol=0, atol=MONEY_ATOL
    )
    mismatched = actual["sub_tier_reason"] != expected["sub_tier_reason"]
    assert not mismatched.any(), pd.concat(
        [actual["sub_tier_reason"], expected["sub_tier_reason"].rename("expected")], axis=1
    )[mismatched].head(20)
    assert (actual["sub_tier"] == actual["sub_tier_reason"].str.split(".").str[0]).all()
    # The data exercise both rule sets, not only their fall-through branch.
    assert {"private", "affluent", "mass"} <= set(actual["sub_tier"])
    key_accounts = {"industry_key_account", "regional_key_account", "potential_key_account"}
    assert key_accounts & set(actual["sub_tier"])


def test_tier_migration_matrix_matches_pandas(inputs):
    expected = expected_migrations(
        inputs["tiers"][["customer_id", "month", "tier"]], inputs["contributions"], inputs["months"]
    )
    actual = frame(inputs["url"], "select * from marts.tier_migration_monthly")
    actual["month"] = pd.to_datetime(actual["month"])
    actual = actual.set_index(["month", "from_tier", "to_tier"]).sort_index()

    assert list(actual.index) == list(expected.index)
    assert actual["customers"].tolist() == expected["customers"].tolist()
    np.testing.assert_allclose(
        actual["contribution"].astype(float), expected["contribution"], rtol=0, atol=MONEY_ATOL
    )
    # Customers arriving in a tier add up to the month's tier rows.
    arrived = actual[actual.index.get_level_values("to_tier") != "churned"]
    tier_counts = inputs["tiers"].groupby("month").size()
    for month, customers in arrived.groupby(level="month")["customers"].sum().items():
        assert customers == tier_counts[month]
    assert inputs["months"][0] not in set(actual.index.get_level_values("month"))


def test_tiers_rank_and_restrict_on_net_contribution(inputs):
    """The percentile ranks the 12-month net contribution (the default of
    tier_ranking_contribution), and a negative one restricts the customer unless a
    days-past-due restriction came first."""
    v = dbt_vars()
    assert v["tier_ranking_contribution"] == "net_contribution"
    expected = expected_sub_tiers(
        inputs["active"], inputs["customers"], inputs["contributions"], inputs["balances"], v
    )
    expected["net_pct"] = expected.groupby(level="month")["net_contribution_l12m"].transform(
        _percentile
    )
    actual = inputs["tiers"].set_index(["customer_id", "month"]).sort_index()

    np.testing.assert_allclose(
        actual["contribution_percentile"].astype(float), expected["net_pct"], rtol=0, atol=1e-6
    )
    negative = expected["net_contribution_l12m"] < 0
    reasons = actual["tier_reason"]
    restricted_negative = reasons == "restricted.negative_contribution"
    assert restricted_negative.sum() > 0
    assert (negative[restricted_negative]).all()
    restricted_first = ["restricted.days_past_due", "restricted.negative_contribution"]
    assert reasons[negative].isin(restricted_first).all()
