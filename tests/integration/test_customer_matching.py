"""Match quality of the golden customer record, scored against the generator's truth files.

The generator writes the true customer behind every CRM contact (an empty
customer_id for a prospect) and every ERP billing account. Precision and
recall are computed here with pandas from ``marts.customer_source_links`` and
those files; the report's control totals are checked against the raw landings.
"""

from __future__ import annotations

import pytest

from cvw.runner import DagRunResult
from cvw_demo.match_quality import links as _links
from cvw_demo.match_quality import precision_recall as _precision_recall
from cvw_demo.match_quality import truth as _truth
from tests.integration.frames import frame, scalar

pytestmark = pytest.mark.integration

# Contacts: a link the warehouse makes must be right (a wrong link attaches a
# stranger's RM and value to a customer); a few contacts carry nothing but a
# name and stay unmatched, which recall tolerates.
CRM_MIN_PRECISION = 0.99
CRM_MIN_RECALL = 0.95
# Billing accounts: almost every invoice carries the registration number, and
# an account is invoiced under one name with occasional spelling variants.
ERP_MIN_PRECISION = 0.99
ERP_MIN_RECALL = 0.95


def _require_published(first_run: DagRunResult) -> None:
    """The marts read here exist only when the run published them."""
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"


def test_crm_contacts_link_to_their_true_customers(first_run, test_settings):
    _require_published(first_run)
    links = _links(test_settings.warehouse_url, "crm")
    truth = _truth(test_settings.truth_dir, "crm")
    precision, recall = _precision_recall(links, truth)
    print(f"crm contacts: precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= CRM_MIN_PRECISION
    assert recall >= CRM_MIN_RECALL
    # Links the golden record trusts (no conflict) are at least as precise.
    trusted = links[~links["is_conflict"]]
    trusted_precision, _ = _precision_recall(
        trusted, truth[truth["source_record_id"].isin(trusted["source_record_id"])]
    )
    assert trusted_precision >= CRM_MIN_PRECISION
    # Prospects never get a customer.
    prospects = truth.loc[truth["customer_id"] == "", "source_record_id"]
    assert links.loc[links["source_record_id"].isin(prospects), "customer_id"].isna().all()


def test_billing_accounts_link_to_their_true_customers(first_run, test_settings):
    _require_published(first_run)
    links = _links(test_settings.warehouse_url, "erp")
    truth = _truth(test_settings.truth_dir, "erp")
    assert len(truth) > 0
    precision, recall = _precision_recall(links, truth)
    print(f"erp billing accounts: precision {precision:.4f}, recall {recall:.4f}")
    assert precision >= ERP_MIN_PRECISION
    assert recall >= ERP_MIN_RECALL


def test_match_report_accounts_for_every_source_record(first_run, test_settings):
    _require_published(first_run)
    url = test_settings.warehouse_url
    report = frame(
        url,
        "select source_system, outcome, match_rule, records, source_records, share_of_source "
        "from marts.customer_match_report",
    )
    contacts = scalar(url, "select count(distinct contact_id) from raw_crm.contacts")
    accounts = scalar(url, "select count(distinct billing_account_id) from raw_erp.invoices")
    records = report.groupby("source_system")["records"].sum()
    assert records["crm"] == contacts
    assert records["erp"] == accounts
    assert set(report["outcome"]) <= {"matched", "unmatched", "conflict"}
    shares = report.groupby("source_system")["share_of_source"].sum().astype(float)
    assert shares.to_numpy() == pytest.approx([1.0, 1.0], abs=0.001 * len(report))
    # The report's matched counts per rule agree with the link table.
    links = frame(
        url,
        "select source_system, match_rule from marts.customer_source_links "
        "where customer_id is not null and not is_conflict",
    )
    expected = links.groupby(["source_system", "match_rule"]).size()
    matched = report[report["outcome"] == "matched"].set_index(["source_system", "match_rule"])
    for (source_system, match_rule), count in expected.items():
        assert matched.loc[(source_system, match_rule), "records"] == count


def test_match_report_is_dated_by_its_newest_source_batch(first_run, test_settings):
    """The report's date is read from the batches matched, not from the clock."""
    _require_published(first_run)
    url = test_settings.warehouse_url
    dates = frame(url, "select distinct matched_on from marts.customer_match_report")
    newest_batch = scalar(
        url,
        "select max(_logical_date) from ("
        " select _logical_date from raw_crm.contacts"
        " union all select _logical_date from raw_erp.invoices) as batches",
    )
    assert dates["matched_on"].tolist() == [newest_batch]
