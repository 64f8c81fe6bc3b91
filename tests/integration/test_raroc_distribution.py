"""RAROC on the demo data: plausible where capital is material, and its published
distribution by segment.

Expected values are computed here with pandas from the published customer
contribution mart and the core-banking segments, not from the distribution mart's SQL.
The band and the capital floor are the vars of ``dbt_project.yml``: annual RAROC from
-150 % to +150 %, on customer-months with at least 5,000 CNY of economic capital.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.integration.frames import dbt_vars, frame

pytestmark = pytest.mark.integration

PERCENTILES = {"raroc_p10": 0.10, "raroc_p25": 0.25, "raroc_median": 0.5}
PERCENTILES |= {"raroc_p75": 0.75, "raroc_p90": 0.90}


@pytest.fixture(scope="module")
def contributions(first_run, test_settings) -> pd.DataFrame:
    rows = frame(
        test_settings.warehouse_url,
        "select contribution.customer_id, contribution.month, contribution.economic_capital,"
        " contribution.gross_contribution, contribution.cost_to_serve,"
        " contribution.expected_loss, contribution.raroc, customer.customer_type,"
        " customer.segment"
        " from marts.customer_contribution_monthly as contribution"
        " left join staging.stg_core_banking__customers as customer"
        " on contribution.customer_id = customer.customer_id",
    )
    for column in ("economic_capital", "gross_contribution", "cost_to_serve", "expected_loss"):
        rows[column] = rows[column].astype(float)
    rows["raroc"] = rows["raroc"].astype(float)
    return rows


def test_raroc_is_plausible_where_capital_is_material(contributions):
    v = dbt_vars()
    material = contributions[contributions["economic_capital"] >= v["raroc_min_economic_capital"]]
    recomputed = (
        (material["gross_contribution"] - material["cost_to_serve"] - material["expected_loss"])
        * 12
        / material["economic_capital"]
    )
    np.testing.assert_allclose(material["raroc"], recomputed, rtol=0, atol=1e-6)
    immaterial = contributions.drop(material.index)
    assert immaterial["raroc"].isna().all()

    in_band = recomputed.between(v["raroc_plausible_min"], v["raroc_plausible_max"])
    # A good share of customer-months carry material capital, and at least 95 % of
    # those earn a RAROC inside the band.
    assert len(material) >= 0.2 * len(contributions)
    assert in_band.mean() >= 0.95, recomputed[~in_band].describe()


def test_raroc_distribution_matches_pandas(contributions, test_settings):
    v = dbt_vars()
    low, high = v["raroc_plausible_min"], v["raroc_plausible_max"]
    rows = []
    keys = ["customer_type", "segment", "month"]
    # customers unknown to core banking fall under a null segment
    unknown = {"customer_type": "", "segment": ""}
    for key, group in contributions.fillna(unknown).groupby(keys):
        rarocs = group["raroc"].dropna()
        row = dict(zip(keys, key, strict=True))
        row["customer_count"] = len(group)
        row["raroc_customer_count"] = len(rarocs)
        for column, share in PERCENTILES.items():
            row[column] = rarocs.quantile(share) if len(rarocs) else np.nan
        row["raroc_in_band_count"] = int(rarocs.between(low, high).sum())
        rows.append(row)
    expected = pd.DataFrame(rows).set_index(keys).sort_index()

    actual = frame(test_settings.warehouse_url, "select * from marts.raroc_distribution_monthly")
    actual = actual.fillna(unknown).set_index(keys).sort_index()
    assert list(actual.index) == list(expected.index)
    for column in ("customer_count", "raroc_customer_count", "raroc_in_band_count"):
        assert actual[column].tolist() == expected[column].tolist(), column
    for column in PERCENTILES:
        np.testing.assert_allclose(
            actual[column].astype(float), expected[column], rtol=0, atol=2e-6, err_msg=column
        )
    share = expected["raroc_in_band_count"] / expected["raroc_customer_count"].replace(0, np.nan)
    np.testing.assert_allclose(
        actual["raroc_in_band_share"].astype(float), share, rtol=0, atol=1e-6
    )
