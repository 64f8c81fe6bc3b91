"""Churn, retention and lifetime-value marts against an independent pandas computation.

Churn events are rebuilt day by day from the staged accounts, transactions and
balances with the churn vars of dbt_project.yml; every other expected number is
derived from those events, the staged customers, the published tiers and the
contribution fact, never from the marts' SQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.integration.frames import dbt_vars, frame

pytestmark = pytest.mark.integration


def _month_starts(url: str) -> list[date]:
    bounds = frame(
        url,
        "select min(d) as first_day, max(d) as last_day from ("
        " select balance_date as d from staging.stg_core_banking__balances"
        " union all select posted_date from staging.stg_core_banking__fee_postings) as days",
    ).iloc[0]
    months = pd.period_range(bounds["first_day"], bounds["last_day"], freq="M")
    return [period.start_time.date() for period in months]


def _month_end(month: date) -> date:
    return (pd.Period(month, freq="M").end_time).date()


def expected_churn_events(url: str, months: list[date], floor: float, days: int) -> pd.DataFrame:
    """Walk each customer's days: closures from account coverage, dormancy from the
    gaps between evidence days (transactions, month ends at or above the floor)."""
    first_day, last_day = months[0], _month_end(months[-1])
    customers = frame(
        url, "select customer_id, onboarded_date from staging.stg_core_banking__customers"
    )
    accounts = frame(
        url, "select customer_id, opened_date, closed_date from staging.stg_core_banking__accounts"
    )
    tx_days = frame(
        url,
        "select distinct customer_id, posted_at::date as day"
        " from staging.stg_core_banking__transactions",
    )
    month_ends = frame(
        url,
        "select a.customer_id, b.balance_date as day, sum(abs(b.month_end_balance)) as balance"
        " from staging.stg_core_banking__balances b"
        " join staging.stg_core_banking__accounts a using (account_id)"
        " group by a.customer_id, b.balance_date",
    )
    alive_month_ends = month_ends[month_ends["balance"].astype(float) >= floor]
    evidence: dict[str, set[date]] = {}
    for table in (tx_days, alive_month_ends):
        for customer_id, day in zip(table["customer_id"], table["day"], strict=True):
            evidence.setdefault(customer_id, set()).add(day)

    events = []
    closures: dict[str, list[tuple[date, date | None]]] = {}
    for customer_id, group in accounts.groupby("customer_id"):
        spans = sorted(zip(group["opened_date"], group["closed_date"], strict=True))
        covered_until = None
        for opened, closed in spans:
            if covered_until is not None and opened > covered_until:
                closures.setdefault(customer_id, []).append((covered_until, opened))
            end = date.max if closed is None or pd.isna(closed) else closed
            covered_until = end if covered_until is None else max(covered_until, end)
        if covered_until != date.max:
            closures.setdefault(customer_id, []).append((covered_until, None))
    for customer_id, spells in closures.items():
        for churn_date, back in spells:
            events.append((customer_id, "all_accounts_closed", churn_date, back))

    for customer_id, onboarded in zip(
        customers["customer_id"], customers["onboarded_date"], strict=True
    ):
        if onboarded > last_day:
            continue
        start = max(onboarded, first_day)
        days_seen = sorted(d for d in evidence.get(customer_id, set()) | {start} if d <= last_day)
        nexts = [*days_seen[1:], None]
        for seen, following in zip(days_seen, nexts, strict=True):
            gap_end = following if following is not None else last_day + timedelta(days=1)
            if (gap_end - seen).days <= days:
                continue
            churn_date = seen + timedelta(days=days)
            closed_then = any(
                closed <= churn_date and (back is None or back > churn_date)
                for closed, back in closures.get(customer_id, [])
            )
            if not closed_then:
                events.append((customer_id, "dormancy", churn_date, following))
    return pd.DataFrame(
        events, columns=["customer_id", "churn_definition", "churn_date", "reactivated_date"]
    )


def churned_at(events: pd.DataFrame, customer_id: str, day: date) -> bool:
    mine = events[events["customer_id"] == customer_id]
    return any(
        churn <= day and (pd.isna(back) or back > day)
        for churn, back in zip(mine["churn_date"], mine["reactivated_date"], strict=True)
    )


@pytest.fixture(scope="module")
def retention_inputs(first_run, test_settings):
    url = test_settings.warehouse_url
    settings = dbt_vars()
    months = _month_starts(url)
    events = expected_churn_events(
        url, months, settings["churn_dormancy_balance_floor"], settings["churn_dormancy_days"]
    )
    customers = frame(
        url,
        "select customer_id, segment, customer_type, onboarded_date"
        " from staging.stg_core_banking__customers",
    )
    states = []
    for month in months:
        month_end = _month_end(month)
        for customer_id, onboarded in zip(
            customers["customer_id"], customers["onboarded_date"], strict=True
        ):
            if onboarded <= month_end:
                states.append((customer_id, month, churned_at(events, customer_id, month_end)))
    state_frame = pd.DataFrame(states, columns=["customer_id", "month", "is_churned"])
    return {
        "url": url,
        "vars": settings,
        "months": months,
        "events": events,
        "customers": customers,
        "states": state_frame,
    }


def test_churn_events_match_a_day_by_day_walk(retention_inputs):
    expected = retention_inputs["events"]
    actual = frame(
        retention_inputs["url"],
        "select customer_id, churn_definition, churn_date, reactivated_date, segment"
        " from marts.customer_churn_events",
    )
    key = ["customer_id", "churn_definition", "churn_date"]
    merged = expected.merge(actual, on=key, how="outer", indicator=True, suffixes=("_exp", "_act"))
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    same_back = merged["reactivated_date_exp"].fillna(date.min) == merged[
        "reactivated_date_act"
    ].fillna(date.min)
    assert same_back.all()
    assert len(expected) > 0
    closed_ids = set(
        frame(
            retention_inputs["url"],
            "select customer_id from staging.stg_core_banking__customers"
            " where closed_date is not null",
        )["customer_id"]
    )
    closure_ids = set(
        actual.loc[actual["churn_definition"] == "all_accounts_closed", "customer_id"]
    )
    assert closed_ids <= closure_ids, "a customer closed in core banking has no closure event"


def test_retention_cohorts_match_pandas(retention_inputs):
    customers, states = retention_inputs["customers"], retention_inputs["states"]
    first_month = retention_inputs["months"][0]
    cohort = customers[customers["onboarded_date"] >= first_month].copy()
    cohort["cohort_month"] = cohort["onboarded_date"].map(lambda d: d.replace(day=1))
    rows = cohort.merge(states, on="customer_id")
    rows["months_since"] = rows.apply(
        lambda r: (
            (r["month"].year - r["cohort_month"].year) * 12
            + r["month"].month
            - r["cohort_month"].month
        ),
        axis=1,
    )
    by_segment = rows.groupby(["cohort_month", "months_since", "segment"])
    whole = rows.assign(segment="all").groupby(["cohort_month", "months_since", "segment"])
    expected = pd.concat(
        [
            pd.DataFrame(
                {
                    "customers_start": g.size(),
                    "customers_retained": g["is_churned"].apply(lambda s: (~s).sum()),
                }
            )
            for g in (by_segment, whole)
        ]
    ).sort_index()
    actual = frame(retention_inputs["url"], "select * from marts.retention_cohorts").set_index(
        ["cohort_month", "months_since", "segment"]
    )
    actual = actual.sort_index()
    assert list(actual.index) == list(expected.index)
    assert actual["customers_start"].tolist() == expected["customers_start"].tolist()
    assert actual["customers_retained"].tolist() == expected["customers_retained"].tolist()
    np.testing.assert_allclose(
        actual["retention_rate"].astype(float),
        expected["customers_retained"] / expected["customers_start"],
        atol=1e-6,
    )


def test_logo_and_contribution_retention_match_pandas(retention_inputs):
    url, settings = retention_inputs["url"], retention_inputs["vars"]
    states = retention_inputs["states"].merge(
        retention_inputs["customers"][["customer_id", "segment"]], on="customer_id"
    )
    gross = frame(
        url,
        "select customer_id, month, gross_contribution from marts.customer_contribution_monthly",
    )
    gross["gross_contribution"] = gross["gross_contribution"].astype(float)
    months = retention_inputs["months"]
    rows = []
    for horizon in settings["retention_horizons_months"]:
        for base_month, month in zip(months, months[horizon:], strict=False):
            base = states[(states["month"] == base_month) & ~states["is_churned"]]
            now = states[states["month"] == month][["customer_id", "is_churned"]]
            joined = base.merge(now, on="customer_id", suffixes=("_then", "_now"))
            then_c = gross[gross["month"] == base_month][["customer_id", "gross_contribution"]]
            now_c = gross[gross["month"] == month][["customer_id", "gross_contribution"]]
            joined = joined.merge(then_c.rename(columns={"gross_contribution": "then"}), how="left")
            joined = joined.merge(now_c.rename(columns={"gross_contribution": "now"}), how="left")
            joined[["then", "now"]] = joined[["then", "now"]].fillna(0.0)
            for segment, group in [*joined.groupby("segment"), ("all", joined)]:
                start, kept = len(group), int((~group["is_churned_now"]).sum())
                positive = group[group["then"] > 0]
                base_sum = positive["then"].sum()
                rows.append(
                    {
                        "month": month,
                        "horizon_months": horizon,
                        "segment": segment,
                        "customers_start": start,
                        "customers_retained": kept,
                        "annualised_churn_rate": 1 - (kept / start) ** (12 / horizon),
                        "gross_contribution_retention": positive["now"]
                        .clip(lower=0)
                        .clip(upper=positive["then"])
                        .sum()
                        / base_sum,
                        "net_contribution_retention": positive["now"].sum() / base_sum,
                    }
                )
    expected = pd.DataFrame(rows).set_index(["month", "horizon_months", "segment"]).sort_index()
    actual = frame(url, "select * from marts.customer_retention_monthly").set_index(
        ["month", "horizon_months", "segment"]
    )
    actual = actual.sort_index()
    assert len(expected) > 0
    assert list(actual.index) == list(expected.index)
    assert actual["customers_start"].tolist() == expected["customers_start"].tolist()
    assert actual["customers_retained"].tolist() == expected["customers_retained"].tolist()
    for column in [
        "annualised_churn_rate",
        "gross_contribution_retention",
        "net_contribution_retention",
    ]:
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], atol=1e-5, err_msg=column
        )
    alarm = expected["annualised_churn_rate"] > settings["churn_alarm_annual_rate"]
    assert actual["is_churn_alarm"].tolist() == alarm.tolist()


def _discounted_sum(margin: float, rate: float, discount: float, horizon: int) -> float:
    return sum(margin * rate**t / (1 + discount) ** t for t in range(1, horizon + 1))


@pytest.fixture(scope="module")
def expected_lifetime_values(retention_inputs) -> pd.DataFrame:
    """CLV per current customer: the tier's Beta posterior from churn states rebuilt
    here, the margin from the contribution fact and an explicit month-by-month sum."""
    url, settings, states = (
        retention_inputs["url"],
        retention_inputs["vars"],
        retention_inputs["states"],
    )
    tiers = frame(url, "select customer_id, month, tier from marts.customer_tier_monthly")
    net = frame(
        url,
        "select customer_id, month, net_contribution from marts.customer_contribution_monthly",
    )
    net["net_contribution"] = net["net_contribution"].astype(float)
    months = sorted(tiers["month"].unique())
    as_of = months[-1]

    previous = states.assign(
        month=states["month"].map(lambda m: (pd.Timestamp(m) + pd.DateOffset(months=1)).date())
    )
    at_risk = tiers[tiers["month"] > months[0]].merge(states, on=["customer_id", "month"])
    at_risk = at_risk.merge(
        previous.rename(columns={"is_churned": "was_churned"}),
        on=["customer_id", "month"],
        how="left",
    )
    at_risk = at_risk[~at_risk["was_churned"].fillna(False).astype(bool)]
    exposure = at_risk.groupby("tier").size()
    events = at_risk.groupby("tier")["is_churned"].sum()
    assert (events == 0).any(), "the demo should have a tier without churn (premium)"

    # Beta(a0, b0) prior centred on the portfolio's rate, worth n0 customer-months.
    prior_months = settings["clv_retention_prior_months"]
    portfolio_rate = 1 - at_risk["is_churned"].sum() / len(at_risk)
    alpha0, beta0 = portfolio_rate * prior_months, (1 - portfolio_rate) * prior_months
    z = settings["clv_retention_band_z"]

    discount = (1 + settings["clv_annual_discount_rate"]) ** (1 / 12) - 1
    horizon = settings["clv_horizon_months"]
    cap_months = settings["clv_max_margin_multiple"] * 12
    window_start = (
        pd.Timestamp(as_of) - pd.DateOffset(months=settings["clv_margin_months"])
    ).date()
    current = tiers[tiers["month"] == as_of].merge(states, on=["customer_id", "month"])
    current = current[~current["is_churned"]]
    rows = []
    for customer_id, tier in zip(current["customer_id"], current["tier"], strict=True):
        mine = net[
            (net["customer_id"] == customer_id)
            & (net["month"] <= as_of)
            & (net["month"] > window_start)
        ]
        margin = mine["net_contribution"].mean()
        churned = int(events.get(tier, 0))
        alpha = alpha0 + int(exposure.get(tier, 0)) - churned
        beta = beta0 + churned
        rate = alpha / (alpha + beta)
        sd = (alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))) ** 0.5
        rate_p10 = max(rate - z * sd, 0.0)
        rate_p90 = min(rate + z * sd, max(rate, 0.999999))
        value = _discounted_sum(margin, rate, discount, horizon)
        rows.append(
            {
                "customer_id": customer_id,
                "tier": tier,
                "monthly_net_contribution": margin,
                "monthly_retention_rate": rate,
                "monthly_retention_rate_p10": rate_p10,
                "monthly_retention_rate_p90": rate_p90,
                "customer_lifetime_value": value,
                "customer_lifetime_value_p10": _discounted_sum(margin, rate_p10, discount, horizon),
                "customer_lifetime_value_p90": _discounted_sum(margin, rate_p90, discount, horizon),
                "is_clv_above_margin_cap": bool(margin > 0 and value > cap_months * margin),
            }
        )
    return pd.DataFrame(rows).set_index("customer_id").sort_index()


@pytest.fixture(scope="module")
def published_lifetime_values(retention_inputs) -> pd.DataFrame:
    actual = frame(retention_inputs["url"], "select * from marts.customer_lifetime_value")
    return actual.set_index("customer_id").sort_index()


def test_customer_lifetime_value_matches_an_explicit_sum(
    expected_lifetime_values, published_lifetime_values
):
    expected, actual = expected_lifetime_values, published_lifetime_values
    assert list(actual.index) == list(expected.index)
    for column in [
        "monthly_retention_rate",
        "monthly_retention_rate_p10",
        "monthly_retention_rate_p90",
    ]:
        # Stored to 6 decimals.
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], atol=5e-7, err_msg=column
        )
    for column in [
        "customer_lifetime_value",
        "customer_lifetime_value_p10",
        "customer_lifetime_value_p90",
    ]:
        # CLV is stored to the cent, from unrounded rates.
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=1e-6, atol=0.005, err_msg=column
        )
    assert (actual["customer_lifetime_value"] != 0).any()


def test_no_tier_is_modelled_as_never_churning(expected_lifetime_values, published_lifetime_values):
    assert (expected_lifetime_values["monthly_retention_rate"] < 1).all()
    assert (published_lifetime_values["monthly_retention_rate"].astype(float) < 1).all()
    assert (published_lifetime_values["monthly_retention_rate_p90"].astype(float) < 1).all()


def test_lifetime_value_band_brackets_the_estimate(published_lifetime_values):
    actual = published_lifetime_values
    positive = actual[actual["monthly_net_contribution"].astype(float) > 0]
    assert len(positive) > 0
    low, mid, high = (
        positive[f"customer_lifetime_value{suffix}"].astype(float)
        for suffix in ("_p10", "", "_p90")
    )
    assert (low <= mid).all() and (mid <= high).all()
    assert (low < high).all(), "every tier's posterior has some spread"


def test_margin_cap_flag_matches_an_independent_check(
    expected_lifetime_values, published_lifetime_values
):
    expected, actual = expected_lifetime_values, published_lifetime_values
    assert actual["is_clv_above_margin_cap"].tolist() == (
        expected["is_clv_above_margin_cap"].tolist()
    )
