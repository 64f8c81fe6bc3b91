"""The whole pipeline at small scale on the embedded PostgreSQL, through real Airflow runs.

Expected numbers are computed here, independently, from the generated source
systems (core-banking tables, ERP CSV files, the CRM database) with pandas;
none of them comes from the project's SQL.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest

from cvw import runner
from cvw.catalog import tables_of
from cvw.summary import render_failed_run
from cvw_sources.crm_api_process import serving
from tests.integration.frames import frame, scalar

from .conftest import MOMENT, PARAMS

pytestmark = pytest.mark.integration


def test_dag_run_succeeds(first_run):
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"
    assert first_run.task_states["publish"] == "success"


def test_every_source_row_is_landed_or_quarantined(first_run, test_settings):
    warehouse = test_settings.warehouse_url
    for source in tables_of("core_banking"):
        expected = scalar(test_settings.core_banking_url, f"select count(*) from {source.name}")
        assert scalar(warehouse, f"select count(*) from {source.raw_table}") == expected
    for source in tables_of("erp"):
        manifests = sorted(test_settings.erp_export_dir.glob("*/manifest.json"))
        expected = sum(
            json.loads(path.read_text())["files"][f"{source.name}.csv"]["rows"]
            for path in manifests
        )
        landed = scalar(warehouse, f"select count(*) from {source.raw_table}")
        quarantined = scalar(
            warehouse,
            f"select count(*) from raw_meta.quarantine where table_name = '{source.name}'",
        )
        assert landed + quarantined == expected, source.name
    with sqlite3.connect(test_settings.crm_db_path) as crm:
        for source in tables_of("crm"):
            expected = crm.execute(f"select count(*) from {source.name}").fetchone()[0]
            assert scalar(warehouse, f"select count(*) from {source.raw_table}") == expected


def test_published_customer_tables_have_one_row_per_customer(first_run, test_settings):
    customers = scalar(test_settings.core_banking_url, "select count(*) from customers")
    assert customers == PARAMS.customers
    warehouse = test_settings.warehouse_url
    # dim_customer keeps history (type 2): one current version per customer.
    for query in (
        "select count(distinct customer_id) from marts.dim_customer",
        "select count(*) from marts.dim_customer where is_current",
        "select count(*) from marts.customer_360",
    ):
        assert scalar(warehouse, query) == customers, query


def test_tiers_cover_exactly_the_active_customers_each_month(first_run, test_settings):
    customers = frame(
        test_settings.core_banking_url,
        "select customer_id, onboarded_date, closed_date from customers",
    )
    tiers = frame(
        test_settings.warehouse_url,
        "select month, count(*) as n from marts.customer_tier_monthly group by month",
    )
    assert len(tiers) == PARAMS.months
    for month, published in zip(tiers["month"], tiers["n"], strict=True):
        month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
        active = (customers["onboarded_date"] <= month_end) & (
            customers["closed_date"].isna() | (customers["closed_date"] >= month)
        )
        assert published == int(active.sum()), month


def test_monthly_fee_income_equals_core_banking_fee_postings(first_run, test_settings):
    fees = frame(test_settings.core_banking_url, "select posted_date, amount from fee_postings")
    fees["month"] = pd.to_datetime(fees["posted_date"]).dt.to_period("M").dt.start_time.dt.date
    expected = fees.groupby("month")["amount"].sum()
    published = frame(
        test_settings.warehouse_url,
        "select month, sum(fee_income) as fee_income from marts.customer_contribution_monthly"
        " group by month",
    ).set_index("month")["fee_income"]
    assert published.to_dict() == expected.to_dict()


def _independent_nii(settings) -> pd.DataFrame:
    """Deposit and loan NII per customer and month from source rows and the ERP FTP curve."""
    core = settings.core_banking_url
    balances = frame(
        core, "select account_id, balance_date, average_balance, days_in_month from balances"
    )
    accounts = frame(
        core,
        "select account_id, customer_id, product_code, interest_rate, term_months from accounts",
    )
    products = frame(core, "select product_code, product_family from products")
    curve = pd.concat(
        pd.read_csv(path, dtype={"ftp_rate": str})
        for path in sorted(settings.erp_export_dir.glob("*/ftp_curve.csv"))
    )
    priced = balances.merge(accounts, on="account_id").merge(products, on="product_code")
    priced["curve_date"] = pd.to_datetime(priced["balance_date"]).dt.to_period("M").dt.start_time
    curve["curve_date"] = pd.to_datetime(curve["curve_date"])
    curve["ftp_rate"] = curve["ftp_rate"].astype(float)
    terms = np.sort(curve["term_months"].unique())

    def bucket(term: int) -> int:
        eligible = terms[terms >= term]
        return int(eligible[0]) if len(eligible) else int(terms[-1])

    priced["term_bucket"] = priced["term_months"].map(bucket)
    priced = priced.merge(
        curve.rename(columns={"term_months": "term_bucket"}), on=["curve_date", "term_bucket"]
    )
    balance = priced["average_balance"].astype(float)
    rate = priced["interest_rate"].astype(float)
    accrual = balance * priced["days_in_month"] / 365
    is_deposit = priced["product_family"].isin(["current_deposit", "term_deposit"])
    is_credit = priced["product_family"].isin(["loan", "card"])
    priced["deposit_nii"] = np.where(is_deposit, accrual * (priced["ftp_rate"] - rate), 0.0)
    priced["loan_nii"] = np.where(is_credit, accrual * (rate - priced["ftp_rate"]), 0.0)
    priced["month"] = priced["curve_date"].dt.date
    return priced.groupby(["customer_id", "month"])[["deposit_nii", "loan_nii"]].sum().round(2)


def test_net_interest_income_matches_an_independent_computation(first_run, test_settings):
    expected = _independent_nii(test_settings)
    published = frame(
        test_settings.warehouse_url,
        "select customer_id, month, deposit_nii, loan_nii from marts.customer_contribution_monthly",
    ).set_index(["customer_id", "month"])
    joined = expected.join(published.astype(float), rsuffix="_published", how="inner")
    assert len(joined) == len(expected)
    for column in ("deposit_nii", "loan_nii"):
        difference = (joined[column] - joined[f"{column}_published"]).abs().max()
        assert difference <= 0.01, column
    assert abs(expected["deposit_nii"].sum()) > 0 and abs(expected["loan_nii"].sum()) > 0


CONTRIBUTION_TOTAL = "select sum(gross_contribution) from marts.customer_contribution_monthly"


@dataclass(frozen=True)
class BlockedRun:
    """A rerun of the shared date whose raw gate failed, and what was published before it."""

    run: runner.DagRunResult
    publications_before: int
    contribution_before: Decimal


@pytest.fixture(scope="module")
def blocked_run(first_run, test_settings) -> BlockedRun:
    """Rerun the shared logical date with one loan's probability of default at 1.5.

    The extract replaces that date's landings with the bad row, the raw gate
    fails, and the source is restored afterwards; the raw landings keep the bad
    row until a clean rerun of the date replaces them.
    """
    assert first_run.succeeded, first_run.failed_tasks()
    warehouse = test_settings.warehouse_url
    publications = scalar(warehouse, "select count(*) from warehouse_meta.publications")
    contribution = scalar(warehouse, CONTRIBUTION_TOTAL)
    loan_key = "loan_id = %s and snapshot_date = %s"
    loan_id, snapshot_date, original_pd = _scalar_row(
        test_settings.core_banking_url,
        "select loan_id, snapshot_date, probability_of_default from loans"
        " order by loan_id, snapshot_date limit 1",
    )
    with psycopg.connect(test_settings.core_banking_url) as conn:
        conn.execute(
            f"update loans set probability_of_default = 1.5 where {loan_key}",
            (loan_id, snapshot_date),
        )
    try:
        with serving(test_settings):
            rerun = runner.run_dag(test_settings, MOMENT, progress=lambda _: None)
    finally:
        with psycopg.connect(test_settings.core_banking_url) as conn:
            conn.execute(
                f"update loans set probability_of_default = %s where {loan_key}",
                (original_pd, loan_id, snapshot_date),
            )
    return BlockedRun(rerun, publications, contribution)


def test_failed_expectation_blocks_publish_and_keeps_previous_marts(blocked_run, test_settings):
    warehouse = test_settings.warehouse_url
    rerun = blocked_run.run
    assert rerun.state == "failed"
    assert rerun.task_states["validate_raw_landings"] == "failed"
    assert rerun.task_states["publish"] != "success"
    assert (
        scalar(warehouse, "select count(*) from warehouse_meta.publications")
        == blocked_run.publications_before
    )
    assert scalar(warehouse, CONTRIBUTION_TOTAL) == blocked_run.contribution_before
    failures = scalar(
        warehouse,
        "select failures from warehouse_meta.quality_checks where not success"
        " order by checked_at desc limit 1",
    )
    assert any("probability_of_default" in failure for failure in failures)
    # A failed gate is not retried: one attempt, and the summary names it and its error.
    with sqlite3.connect(test_settings.airflow_home / "airflow.db") as conn:
        (attempts,) = conn.execute(
            "select try_number from task_instance where task_id = 'validate_raw_landings'"
            " order by start_date desc limit 1"
        ).fetchone()
    assert attempts == 1
    gate_error = rerun.task_errors()["validate_raw_landings"]
    assert gate_error.message.startswith("AirflowFailException: ")
    assert "probability_of_default" in gate_error.message
    summary = render_failed_run(rerun.state, rerun.task_states, rerun.task_errors(), rerun.log_path)
    assert f"  validate_raw_landings\n    error: {gate_error.message}\n" in summary


def test_rerun_after_a_blocked_run_republishes_the_same_numbers(blocked_run, test_settings):
    """A clean rerun of the blocked date replaces that date's landings, not appends."""
    warehouse = test_settings.warehouse_url
    fingerprint = (
        "select count(*), sum(gross_contribution), sum(deposit_nii), sum(loan_nii),"
        " sum(fee_income) from marts.customer_contribution_monthly"
    )
    before = _scalar_row(warehouse, fingerprint)
    assert before[1] == blocked_run.contribution_before
    bad_landings = scalar(
        warehouse, "select count(*) from raw_core_banking.loans where probability_of_default > 1"
    )
    assert bad_landings == 1
    publications = scalar(warehouse, "select count(*) from warehouse_meta.publications")
    with serving(test_settings):
        rerun = runner.run_dag(test_settings, MOMENT, progress=lambda _: None)
    assert rerun.succeeded, rerun.failed_tasks()
    assert scalar(warehouse, "select count(*) from warehouse_meta.publications") == publications + 1
    assert _scalar_row(warehouse, fingerprint) == before
    assert (
        scalar(
            warehouse,
            "select count(*) from raw_core_banking.loans where probability_of_default > 1",
        )
        == 0
    )
    source_rows = scalar(test_settings.core_banking_url, "select count(*) from transactions")
    assert scalar(warehouse, "select count(*) from raw_core_banking.transactions") == source_rows


def _scalar_row(url: str, query: str) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()
