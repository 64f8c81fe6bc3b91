"""The portfolio marts: contribution concentration and the credit-quality view.

Expected values are computed here with pandas and numpy from the published customer
tiers and loan snapshots, and from the rating-band seed file, not from the marts' SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvw.config import PROJECT_ROOT
from tests.integration.frames import frame

pytestmark = pytest.mark.integration

RATING_BANDS_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "concentration" / "rating_bands.csv"
TOP_SHARES_PERCENT = {"top_1pct_share": 1, "top_4pct_share": 4, "top_20pct_share": 20}
TIERS = ["premium", "major", "ordinary", "restricted", "potential"]


def expected_concentration(tiers: pd.DataFrame) -> pd.DataFrame:
    """Top-share, Gini and largest-customer figures per month from customer_id,
    month and contribution_l12m; only positive contributions count."""
    rows = []
    positive = tiers[tiers["contribution_l12m"] > 0]
    for month, group in positive.groupby("month"):
        values = np.sort(group["contribution_l12m"].to_numpy(dtype=float))[::-1]
        count, total = len(values), values.sum()
        row = {"month": month, "customers": count, "total_contribution": total}
        for column, percent in TOP_SHARES_PERCENT.items():
            top_count = -(-percent * count // 100)  # ceil(percent / 100 x count)
            row[column] = values[:top_count].sum() / total
        ascending = values[::-1]
        lorenz = np.cumsum(ascending) / total
        # 1 - 2 x area under the Lorenz curve (trapezoids over n equal steps).
        area = (lorenz.sum() - lorenz[-1] / 2) / count
        row["gini"] = 1 - 2 * area
        row["largest_customer_share"] = values[0] / total
        rows.append(row)
    return pd.DataFrame(rows).set_index("month").sort_index()


def expected_credit_quality(loans: pd.DataFrame, bands: pd.DataFrame) -> pd.Series:
    """Exposure per (month, rating_band, dpd_bucket) from the loan snapshots."""
    banded = loans.merge(bands[["risk_rating", "rating_band"]], on="risk_rating", how="left")
    banded["exposure"] = banded["exposure"].astype(float)
    return banded.groupby(["month", "rating_band", "dpd_bucket"])["exposure"].sum().sort_index()


def test_contribution_concentration_matches_pandas(first_run, test_settings):
    url = test_settings.warehouse_url
    tiers = frame(
        url, "select customer_id, month, contribution_l12m from marts.customer_tier_monthly"
    )
    tiers["contribution_l12m"] = tiers["contribution_l12m"].astype(float)
    expected = expected_concentration(tiers)
    actual = frame(url, "select * from marts.contribution_concentration").set_index("month")
    actual = actual.sort_index()

    assert list(actual.index) == list(expected.index)
    assert actual["customers"].tolist() == expected["customers"].tolist()
    for column in [*TOP_SHARES_PERCENT, "gini", "largest_customer_share"]:
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=0, atol=1e-6, err_msg=column
        )
    np.testing.assert_allclose(
        actual["total_contribution"].astype(float), expected["total_contribution"], atol=0.01
    )
    assert (actual["gini"].astype(float) > 0).all()


def test_credit_quality_exposure_matches_pandas(first_run, test_settings):
    url = test_settings.warehouse_url
    loans = frame(
        url,
        "select month, customer_id, risk_rating, dpd_bucket, exposure from marts.fct_loan_monthly",
    )
    bands = pd.read_csv(RATING_BANDS_CSV, dtype=str)
    expected = expected_credit_quality(loans, bands)
    actual = frame(
        url,
        "select month, rating_band, dpd_bucket, exposure, exposure_share_of_month, customers, "
        + ", ".join(f"{tier}_customers" for tier in TIERS)
        + " from marts.credit_quality_monthly",
    ).set_index(["month", "rating_band", "dpd_bucket"])
    actual = actual.sort_index()

    assert list(actual.index) == list(expected.index)
    np.testing.assert_allclose(actual["exposure"].astype(float), expected, rtol=0, atol=0.01)
    month_shares = actual["exposure_share_of_month"].astype(float).groupby(level="month").sum()
    np.testing.assert_allclose(month_shares, 1.0, atol=1e-6)
    tier_counts = actual[[f"{tier}_customers" for tier in TIERS]].sum(axis=1)
    assert (tier_counts <= actual["customers"]).all()
