"""Acquisition cost and payback per onboarding cohort, against pandas.

Expected values are computed here from the ERP general ledger and the core-banking
customers landed in staging and the published contribution mart, with the
acquisition accounts of ``dbt_project.yml``; not from the mart's SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.integration.frames import dbt_vars, frame

pytestmark = pytest.mark.integration

KEYS = ["onboarding_month", "customer_type", "segment"]


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


@pytest.fixture(scope="module")
def inputs(first_run, test_settings) -> dict[str, pd.DataFrame]:
    url = test_settings.warehouse_url
    contributions = frame(
        url,
        "select customer_id, month, net_contribution, relationship_manager_cost"
        " from marts.customer_contribution_monthly",
    )
    contributions["month"] = pd.to_datetime(contributions["month"])
    for column in ("net_contribution", "relationship_manager_cost"):
        contributions[column] = contributions[column].astype(float)
    customers = frame(
        url,
        "select customer_id, customer_type, segment, onboarded_date"
        " from staging.stg_core_banking__customers",
    )
    customers["onboarded_date"] = pd.to_datetime(customers["onboarded_date"])
    ledger = frame(
        url, "select accounting_period, gl_account, amount from staging.stg_erp__gl_postings"
    )
    ledger["amount"] = ledger["amount"].astype(float)
    return {"contributions": contributions, "customers": customers, "ledger": ledger}


def expected_cohorts(inputs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    contributions, customers, ledger = (
        inputs["contributions"], inputs["customers"], inputs["ledger"],
    )  # fmt: skip
    months = sorted(contributions["month"].unique())
    accounts = set(dbt_vars()["acquisition_cost_gl_accounts"])
    spend = ledger[ledger["gl_account"].isin(accounts)].groupby("accounting_period")["amount"].sum()
    customers = customers.assign(
        onboarding_month=customers["onboarded_date"].dt.to_period("M").dt.to_timestamp()
    )
    new = customers[customers["onboarding_month"].isin(months)]
    intake = new.groupby("onboarding_month").size()
    per_customer = {
        month: spend.get(month.strftime("%Y-%m"), np.nan) / count for month, count in intake.items()
    }
    rows = []
    for key, members in new.groupby(KEYS):
        month, customer_type, segment = key
        cost_each = per_customer[month]
        cost = cost_each * len(members)
        own = contributions[
            contributions["customer_id"].isin(members["customer_id"])
            & (contributions["month"] >= month)
        ]
        by_month = own.groupby("month")["net_contribution"].sum().sort_index().cumsum()
        paid = by_month[by_month >= cost]
        earlier = customers[
            (customers["customer_type"] == customer_type)
            & (customers["segment"] == segment)
            & (customers["onboarded_date"] < month)
        ]
        window = contributions[
            contributions["customer_id"].isin(earlier["customer_id"])
            & (contributions["month"] <= month)
            & (contributions["month"] > month - pd.DateOffset(months=12))
        ]
        retention = (
            window["relationship_manager_cost"].sum() * 12 / len(window) if len(window) else np.nan
        )
        rows.append(
            {
                "onboarding_month": month,
                "customer_type": customer_type,
                "segment": segment,
                "new_customers": len(members),
                "acquisition_cost": cost,
                "acquisition_cost_per_customer": cost_each,
                "net_contribution_to_date": own["net_contribution"].sum(),
                "months_to_payback": _months_between(month, paid.index[0]) if len(paid) else None,
                "retention_cost_per_customer_year": retention,
            }
        )
    return pd.DataFrame(rows).set_index(KEYS).sort_index()


def test_acquisition_cohorts_match_pandas(inputs, test_settings):
    expected = expected_cohorts(inputs)
    actual = frame(test_settings.warehouse_url, "select * from marts.customer_acquisition_cohorts")
    actual["onboarding_month"] = pd.to_datetime(actual["onboarding_month"])
    actual = actual.set_index(KEYS).sort_index()

    assert len(expected) > 0
    assert list(actual.index) == list(expected.index)
    assert actual["new_customers"].tolist() == expected["new_customers"].tolist()
    for column in (
        "acquisition_cost", "acquisition_cost_per_customer", "net_contribution_to_date",
        "retention_cost_per_customer_year",
    ):  # fmt: skip
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=0, atol=0.011, err_msg=column
        )

    def months(column: pd.Series) -> list[int | None]:
        return [None if pd.isna(value) else int(value) for value in column]

    assert months(actual["months_to_payback"]) == months(expected["months_to_payback"])
    ratio = expected["acquisition_cost_per_customer"] / expected["retention_cost_per_customer_year"]
    np.testing.assert_allclose(
        actual["acquisition_to_retention_cost_ratio"].astype(float), ratio, rtol=1e-3, atol=1e-3
    )
    # The ledger carries acquisition spend, and winning a customer costs more than a
    # year of keeping one.
    assert (actual["acquisition_cost"].astype(float) > 0).all()
    assert actual["acquisition_to_retention_cost_ratio"].astype(float).median() > 1
