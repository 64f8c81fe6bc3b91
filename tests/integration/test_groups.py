"""Corporate groups (集团客户): the group dimension and group concentration.

Expected values are computed here with pandas from the core-banking customers landed
in staging, the published contribution and tier marts and the concentration-limit
seed file, not from the group marts' SQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cvw.config import PROJECT_ROOT
from tests.integration.frames import frame

pytestmark = pytest.mark.integration

LIMITS_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "concentration" / "concentration_limits.csv"


@pytest.fixture(scope="module")
def members(first_run, test_settings) -> pd.DataFrame:
    return frame(
        test_settings.warehouse_url,
        "select customer_id, customer_type, group_id, group_role, branch_id, industry, status"
        " from staging.stg_core_banking__customers where group_id is not null",
    )


def test_groups_are_corporate_with_one_parent(members):
    assert members["group_id"].nunique() >= 2
    assert (members["customer_type"] == "corporate").all()
    parents = members[members["group_role"] == "parent"].groupby("group_id").size()
    assert parents.to_dict() == dict.fromkeys(members["group_id"].unique(), 1)
    assert members.groupby("group_id").size().min() >= 2


def test_group_dimension_matches_pandas(members, test_settings):
    by_group = members.groupby("group_id")
    parents = members[members["group_role"] == "parent"].set_index("group_id")
    expected = pd.DataFrame(
        {
            "parent_customer_id": parents["customer_id"],
            "parent_branch_id": parents["branch_id"],
            "member_count": by_group.size(),
            "subsidiary_count": by_group["group_role"].agg(lambda r: (r == "subsidiary").sum()),
            "related_party_count": by_group["group_role"].agg(
                lambda r: (r == "related_party").sum()
            ),
            "open_member_count": by_group["status"].agg(lambda s: (s != "closed").sum()),
        }
    ).sort_index()
    actual = frame(test_settings.warehouse_url, "select * from marts.dim_customer_group")
    actual = actual.set_index("group_id").sort_index()
    assert list(actual.index) == list(expected.index)
    for column in expected.columns:
        assert actual[column].tolist() == expected[column].tolist(), column


def test_group_concentration_matches_pandas(members, test_settings):
    url = test_settings.warehouse_url
    contributions = frame(
        url,
        "select customer_id, month, gross_contribution, net_contribution, credit_exposure"
        " from marts.customer_contribution_monthly",
    )
    tiers = frame(
        url, "select customer_id, month, contribution_l12m from marts.customer_tier_monthly"
    )
    months = contributions.merge(tiers, on=["customer_id", "month"], how="outer")
    money = ["gross_contribution", "net_contribution", "credit_exposure", "contribution_l12m"]
    months[money] = months[money].astype(float).fillna(0.0)
    l12m = months["contribution_l12m"]
    totals = pd.DataFrame(
        {
            "positive_l12m": l12m.where(l12m > 0, 0.0).groupby(months["month"]).sum(),
            "exposure": months.groupby("month")["credit_exposure"].sum(),
        }
    )
    grouped = months.merge(members[["customer_id", "group_id"]], on="customer_id")
    expected = grouped.groupby(["group_id", "month"]).agg(
        member_count=("customer_id", "size"), **{column: (column, "sum") for column in money}
    )
    month_of = expected.index.get_level_values("month")
    positive = totals["positive_l12m"].reindex(month_of).to_numpy()
    exposure = totals["exposure"].reindex(month_of).to_numpy()
    expected["contribution_l12m_share"] = expected["contribution_l12m"].clip(lower=0) / positive
    expected["credit_exposure_share"] = expected["credit_exposure"].clip(lower=0) / np.where(
        exposure == 0, np.nan, exposure
    )
    cap = float(pd.read_csv(LIMITS_CSV)["largest_customer_share_cap"].iloc[0])
    expected["is_above_concentration_cap"] = (expected["contribution_l12m_share"] > cap) | (
        expected["credit_exposure_share"] > cap
    )

    actual = frame(url, "select * from marts.group_concentration_monthly")
    actual = actual.set_index(["group_id", "month"]).sort_index()
    expected = expected.sort_index()
    assert list(actual.index) == list(expected.index)
    assert actual["member_count"].tolist() == expected["member_count"].tolist()
    for column in money:
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=0, atol=0.01, err_msg=column
        )
    for column in ("contribution_l12m_share", "credit_exposure_share"):
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=0, atol=1e-9, err_msg=column
        )
    assert actual["is_above_concentration_cap"].tolist() == (
        expected["is_above_concentration_cap"].tolist()
    )
    # Groups hold a real share of the book: the largest is a visible single name.
    assert actual.groupby(level="month")["contribution_l12m_share"].max().min() > 0
