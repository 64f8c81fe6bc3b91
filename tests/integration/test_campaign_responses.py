"""CRM campaign responses, from the CRM API to customer_360.campaign_acceptances_l12m.

Expected values are computed here with pandas from the simulated CRM's own file
(what the API served) and the published contact-to-customer links, not from the
staging or intermediate SQL.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from tests.integration.frames import frame, scalar

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(first_run, test_settings) -> pd.DataFrame:
    with sqlite3.connect(test_settings.crm_db_path) as crm:
        return pd.read_sql_query("select * from campaign_responses", crm)


def test_every_served_response_is_landed_or_quarantined(served, test_settings):
    url = test_settings.warehouse_url
    landed = scalar(url, "select count(distinct response_id) from raw_crm.campaign_responses")
    quarantined = scalar(
        url,
        "select count(*) from raw_meta.quarantine"
        " where source_system = 'crm' and table_name = 'campaign_responses'",
    )
    assert len(served) > 100
    assert landed + quarantined == len(served)


def test_campaign_acceptances_match_pandas(served, test_settings):
    url = test_settings.warehouse_url
    links = frame(
        url,
        "select source_record_id as contact_id, customer_id from marts.customer_source_links"
        " where source_system = 'crm' and customer_id is not null",
    )
    published = frame(
        url, "select customer_id, as_of_month, campaign_acceptances_l12m from marts.customer_360"
    )
    as_of_month = pd.Timestamp(published["as_of_month"].iloc[0])
    start, end = as_of_month - pd.DateOffset(months=11), as_of_month + pd.DateOffset(months=1)
    responded_day = (
        pd.to_datetime(served["responded_at"], utc=True).dt.tz_localize(None).dt.floor("D")
    )
    accepted = served[
        (served["response"] == "accepted") & (responded_day >= start) & (responded_day < end)
    ]
    expected = (
        accepted.merge(links, on="contact_id").groupby("customer_id").size().rename("expected")
    )
    compared = published.set_index("customer_id").join(expected).fillna({"expected": 0})
    assert compared["expected"].sum() > 5
    assert (compared["expected"] == 0).sum() > 0
    mismatched = compared[compared["campaign_acceptances_l12m"] != compared["expected"]]
    assert mismatched.empty, mismatched.head()
