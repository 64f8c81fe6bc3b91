"""Bad source records, one defect each, and where the pipeline stops them.

CRM and ERP records are landed through their real extracts into a scratch
database (the CRM API is a stub answering one page, the ERP export a folder
with a manifest written here), and the quarantine and batch log are read back.
Core-banking rows are landed directly with a batch log row, as its
COPY-to-COPY extract would leave them, and the raw-landings gate is run on the
logical date. One case runs dbt on the staging models to show the seed-backed
code test and the customer relationship test failing. Every expected reason,
count and failure line below is written out by hand from the rows in the case.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from cvw.catalog import ALL_TABLES, table
from cvw.config import dbt_env
from cvw.extract import crm, erp
from cvw.extract.crm_client import RetryPolicy
from cvw.extract.erp_files import ExportFolder
from cvw.landing import ensure_raw_tables
from expectations import ValidationReport, validate_raw_landings

LOGICAL_DATE = date(2026, 11, 1)
MOMENT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # the extraction moment (window end)
EARLIER = datetime(2026, 10, 31, 9, 30, tzinfo=UTC)
NO_RETRY = RetryPolicy(attempts=1, initial_wait_s=0, max_wait_s=0)
DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


# --- CRM: the real extract against a stub API ---------------------------------------


def contact(contact_id: str, **changes: Any) -> dict[str, Any]:
    record = {
        "contact_id": contact_id,
        "cif": "C001",
        "full_name": "Li Na",
        "national_id": None,
        "phone": "13800000001",
        "email": None,
        "contact_type": "retail",
        "rm_id": "RM01",
        "created_at": "2026-03-01T08:00:00Z",
        "updated_at": "2026-10-31T09:30:00Z",
    }
    return record | changes


def interaction(interaction_id: str, **changes: Any) -> dict[str, Any]:
    record = {
        "interaction_id": interaction_id,
        "contact_id": "K1",
        "rm_id": "RM01",
        "interaction_type": "visit",
        "occurred_at": "2026-10-30T10:00:00Z",
        "follow_up_due_date": "2026-11-06",
        "follow_up_done_date": None,
        "updated_at": "2026-10-31T09:30:00Z",
    }
    return record | changes


def survey(survey_id: str, **changes: Any) -> dict[str, Any]:
    record = {
        "survey_id": survey_id,
        "contact_id": "K1",
        "score": 8,
        "responded_at": "2026-10-30T12:00:00Z",
        "updated_at": "2026-10-31T09:30:00Z",
    }
    return record | changes


def land_crm(url: str, entity: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Extract ``entity`` from an API answering ``records`` in one page; what landed."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": records, "next_cursor": None})

    source = table("crm", entity)
    with (
        psycopg.connect(url) as warehouse,
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
    ):
        ensure_raw_tables(warehouse)
        warehouse.commit()
        crm.extract_table(
            warehouse,
            client,
            "http://crm.test/api/v1",
            "test-token",
            source,
            LOGICAL_DATE,
            MOMENT,
            NO_RETRY,
        )
        warehouse.commit()
    return landed(url, source.raw_table)


def landed(url: str, raw_table: str) -> dict[str, Any]:
    """The batch log counts, the rows in the raw table and the quarantine of one table."""
    system, name = raw_table.removeprefix("raw_").split(".")
    with psycopg.connect(url) as conn:
        read, loaded, quarantined = conn.execute(
            "select rows_read, rows_loaded, rows_quarantined from raw_meta.load_batches"
            " where source_system = %s and table_name = %s",
            (system, name),
        ).fetchone()
        in_raw = conn.execute(f"select count(*) from {raw_table}").fetchone()[0]
        reasons = dict(
            conn.execute(
                "select record_locator, reason from raw_meta.quarantine"
                " where source_system = %s and table_name = %s",
                (system, name),
            ).fetchall()
        )
    return {
        "read": read,
        "loaded": loaded,
        "quarantined": quarantined,
        "in_raw": in_raw,
        "reasons": reasons,
    }


def test_crm_interaction_dated_after_the_extraction_is_quarantined(scratch_database: str) -> None:
    outcome = land_crm(
        scratch_database,
        "interactions",
        [interaction("I1"), interaction("I2", occurred_at="2027-10-30T10:00:00Z")],
    )

    assert outcome["reasons"] == {
        "I2": "occurred_at: 2027-10-30T10:00:00+00:00 is after the extraction moment "
        "2026-11-01T06:00:00+00:00"
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (2, 1, 1)
    assert outcome["in_raw"] == 1


def test_crm_follow_up_done_after_the_extraction_day_is_quarantined(
    scratch_database: str,
) -> None:
    # A follow-up done on the extraction day is fine; the day after is not yet known.
    outcome = land_crm(
        scratch_database,
        "interactions",
        [
            interaction("I1", follow_up_done_date="2026-11-01"),
            interaction("I2", follow_up_done_date="2026-11-02"),
        ],
    )

    assert outcome["reasons"] == {
        "I2": "follow_up_done_date: 2026-11-02 is after the extraction moment "
        "2026-11-01T06:00:00+00:00"
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (2, 1, 1)


def test_crm_contact_with_a_blank_key_is_quarantined(scratch_database: str) -> None:
    outcome = land_crm(
        scratch_database,
        "contacts",
        [contact("K1"), contact("   "), contact("K3", rm_id=" ")],
    )

    assert outcome["reasons"] == {
        "   ": "contact_id: key '   ' is blank",
        "K3": "rm_id: key ' ' is blank",
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (3, 1, 2)
    assert outcome["in_raw"] == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"full_name": {"family": "Li", "given": "Na"}},
            "full_name: a JSON object where a string is expected for text "
            "({'family': 'Li', 'given': 'Na'})",
        ),
        (
            {"phone": ["13800000001", "13800000002"]},
            "phone: a JSON array where a string is expected for text "
            "(['13800000001', '13800000002'])",
        ),
        ({"cif": 1001}, "cif: a JSON number where a string is expected for text (1001)"),
    ],
    ids=["object_for_text", "array_for_text", "number_for_text"],
)
def test_crm_contact_with_a_wrong_json_type_is_quarantined(
    scratch_database: str, changes: dict[str, Any], reason: str
) -> None:
    outcome = land_crm(scratch_database, "contacts", [contact("K1"), contact("K2", **changes)])

    assert outcome["reasons"] == {"K2": reason}
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (2, 1, 1)


def test_crm_survey_score_as_text_is_quarantined(scratch_database: str) -> None:
    outcome = land_crm(
        scratch_database, "surveys", [survey("S1"), survey("S2", score="9"), survey("S3", score=7)]
    )

    assert outcome["reasons"] == {
        "S2": "score: a JSON string where a number is expected for integer ('9')"
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (3, 2, 1)
    assert outcome["in_raw"] == 2


def test_crm_record_changed_outside_the_requested_window_is_quarantined(
    scratch_database: str,
) -> None:
    # The stub ignores updated_before, as a faulty API would: a record changed after the
    # extraction moment must not become the latest version of K2.
    outcome = land_crm(
        scratch_database,
        "contacts",
        [contact("K1"), contact("K2", updated_at="2026-12-01T00:00:00Z")],
    )

    assert outcome["reasons"] == {
        "K2": "updated_at: 2026-12-01T00:00:00+00:00 is outside the extraction window "
        "[the beginning, 2026-11-01T06:00:00+00:00)"
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (2, 1, 1)


# --- ERP: the real extract of an export folder ----------------------------------------


INVOICE_HEADER = (
    "invoice_id,billing_account_id,billing_name,registration_no,service_type,amount,"
    "issued_date,due_date,paid_date,paid_amount"
)


def write_invoices(export_dir: Path, rows: list[str], amount: str, paid: str) -> None:
    """One export folder dated the day before the logical date, with its manifest."""
    folder = export_dir / "2026-10-31"
    folder.mkdir(parents=True)
    path = folder / "invoices.csv"
    path.write_text("\n".join([INVOICE_HEADER, *rows]) + "\n", encoding="utf-8")
    manifest = {
        "files": {
            "invoices.csv": {
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "rows": len(rows),
                "control_totals": {"amount": amount, "paid_amount": paid},
            }
        }
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def land_invoices(url: str, export_dir: Path) -> dict[str, Any]:
    source = table("erp", "invoices")
    with psycopg.connect(url) as warehouse:
        ensure_raw_tables(warehouse)
        warehouse.commit()
        # The extract of one table over one export folder (the folder carries only
        # this table's file, so it is handed over directly rather than through the ledger).
        folder = export_dir / "2026-10-31"
        export = ExportFolder(
            path=folder,
            manifest=json.loads((folder / "manifest.json").read_text()),
            content_sha256="",
        )
        erp.extract_table(warehouse, [export], source, LOGICAL_DATE, MOMENT)
        warehouse.commit()
    return landed(url, source.raw_table)


def test_erp_invoice_with_a_blank_key_is_quarantined(scratch_database: str, tmp_path: Path) -> None:
    write_invoices(
        tmp_path,
        [
            "INV-1,BA-1,Acme Co.,REG1,custody,1000.00,2026-10-05,2026-11-04,,",
            "  ,BA-2,Beta Co.,REG2,custody,500.00,2026-10-06,2026-11-05,,",
            "INV-3,\t,Gamma Co.,REG3,consulting,250.00,2026-10-07,2026-11-06,,",
        ],
        amount="1750.00",
        paid="0",
    )

    outcome = land_invoices(scratch_database, tmp_path)

    assert outcome["reasons"] == {
        "2026-10-31/invoices.csv:3": "invoice_id: key '  ' is blank",
        "2026-10-31/invoices.csv:4": "billing_account_id: key '\\t' is blank",
    }
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (3, 1, 2)
    assert outcome["in_raw"] == 1


def test_erp_invoice_issued_a_year_ahead_fails_the_raw_gate(
    scratch_database: str, tmp_path: Path
) -> None:
    # The ERP extract is told no extraction moment per record, so the gate stops it.
    write_invoices(
        tmp_path,
        [
            "INV-1,BA-1,Acme Co.,REG1,custody,1000.00,2026-10-05,2026-11-04,,",
            "INV-2,BA-2,Beta Co.,REG2,custody,500.00,2027-11-01,2027-12-01,,",
        ],
        amount="1500.00",
        paid="0",
    )
    outcome = land_invoices(scratch_database, tmp_path)
    assert (outcome["read"], outcome["loaded"], outcome["quarantined"]) == (2, 2, 0)
    log_empty_batches(scratch_database, skip=("raw_erp.invoices",))

    report = validate_raw_landings(scratch_database, LOGICAL_DATE)

    assert report.failed == [
        "raw_erp.invoices: expect_column_values_to_be_between column=issued_date "
        "max_value=2026-11-01 -> 1 of 2 rows, e.g. 2027-11-01"
    ]


# --- Core banking and the raw-landings gate -------------------------------------------


def log_empty_batches(url: str, skip: tuple[str, ...] = ()) -> None:
    """A batch log row with nothing landed for every table not in ``skip``."""
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_raw_tables(conn)
        for source in ALL_TABLES:
            if source.raw_table in skip:
                continue
            conn.execute(
                "insert into raw_meta.load_batches (batch_id, source_system, table_name,"
                " logical_date, window_start, window_end, rows_read, rows_loaded,"
                " rows_quarantined, started_at, finished_at)"
                " values (%s, %s, %s, %s, null, %s, 0, 0, 0, %s, %s)",
                (f"empty-{source.raw_table}", source.system, source.name, LOGICAL_DATE,
                 MOMENT, MOMENT, MOMENT),
            )  # fmt: skip


def land_rows(
    url: str, batches: dict[str, list[dict[str, Any]]], logical_date: date = LOGICAL_DATE
) -> None:
    """Land rows as the core-banking extract would, with their batch log rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_raw_tables(conn)
        for raw_table, rows in batches.items():
            system, name = raw_table.removeprefix("raw_").split(".")
            batch_id = f"{raw_table}.{logical_date}"
            for row in rows:
                record = row | {
                    "_batch_id": batch_id,
                    "_logical_date": logical_date,
                    "_loaded_at": MOMENT,
                }
                conn.execute(
                    sql.SQL("insert into {} ({}) values ({})").format(
                        sql.Identifier(f"raw_{system}", name),
                        sql.SQL(", ").join(map(sql.Identifier, record)),
                        sql.SQL(", ").join(sql.Placeholder() * len(record)),
                    ),
                    list(record.values()),
                )
            conn.execute(
                "insert into raw_meta.load_batches (batch_id, source_system, table_name,"
                " logical_date, window_start, window_end, rows_read, rows_loaded,"
                " rows_quarantined, started_at, finished_at)"
                " values (%s, %s, %s, %s, null, %s, %s, %s, 0, %s, %s)",
                (batch_id, system, name, logical_date, MOMENT, len(rows), len(rows),
                 MOMENT, MOMENT),
            )  # fmt: skip


def customer_row(customer_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "customer_id": customer_id,
        "customer_type": "retail",
        "full_name": f"Customer {customer_id}",
        "segment": "mass",
        "branch_id": "B01",
        "region": "north",
        "onboarded_date": date(2021, 3, 1),
        "status": "active",
        "credit_rating": "A",
        "updated_at": EARLIER,
    }
    return row | changes


def product_row(product_code: str) -> dict[str, Any]:
    return {
        "product_code": product_code,
        "product_name": "Current account",
        "product_family": "current_deposit",
        "term_months": 0,
        "standard_rate": Decimal("0.003"),
        "is_credit": False,
        "updated_at": EARLIER,
    }


def account_row(account_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "account_id": account_id,
        "customer_id": "C001",
        "product_code": "CA01",
        "branch_id": "B01",
        "currency": "CNY",
        "opened_date": date(2022, 5, 1),
        "status": "open",
        "interest_rate": Decimal("0.003"),
        "term_months": 0,
        "updated_at": EARLIER,
    }
    return row | changes


def fee_row(fee_id: int, **changes: Any) -> dict[str, Any]:
    row = {
        "fee_id": fee_id,
        "customer_id": "C001",
        "account_id": "A001",
        "branch_id": "B01",
        "fee_category": "settlement",
        "amount": Decimal("12.50"),
        "posted_date": date(2026, 10, 31),
        "updated_at": EARLIER,
    }
    return row | changes


def core_batch(**tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One valid customer, product and account, with ``tables`` swapped in."""
    batch = {
        "raw_core_banking.customers": [customer_row("C001")],
        "raw_core_banking.products": [product_row("CA01")],
        "raw_core_banking.accounts": [account_row("A001")],
    }
    return batch | {f"raw_core_banking.{name}": rows for name, rows in tables.items()}


def gate(url: str, batch: dict[str, list[dict[str, Any]]]) -> ValidationReport:
    land_rows(url, batch)
    log_empty_batches(url, skip=tuple(batch))
    return validate_raw_landings(url, LOGICAL_DATE)


def test_valid_core_banking_batch_passes_the_gate(scratch_database: str) -> None:
    # Identical rows landed twice in a batch are one version, not a conflict.
    batch = core_batch(customers=[customer_row("C001"), customer_row("C001")])

    report = gate(scratch_database, batch)

    assert report.failed == []


def test_fee_posted_after_the_extraction_day_fails_the_gate(scratch_database: str) -> None:
    batch = core_batch(fee_postings=[fee_row(1), fee_row(2, posted_date=date(2027, 11, 1))])

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.fee_postings: expect_column_values_to_be_between column=posted_date "
        "max_value=2026-11-01 -> 1 of 2 rows, e.g. 2027-11-01"
    ]


def test_transaction_posted_after_the_extraction_moment_fails_the_gate(
    scratch_database: str,
) -> None:
    posted = {
        "account_id": "A001",
        "customer_id": "C001",
        "channel": "mobile",
        "transaction_type": "payment",
        "amount": Decimal("19.90"),
    }
    batch = core_batch(
        transactions=[
            posted | {"transaction_id": 1, "posted_at": EARLIER},
            posted | {"transaction_id": 2, "posted_at": datetime(2027, 1, 5, tzinfo=UTC)},
        ]
    )

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.transactions: expect_column_values_to_be_between column=posted_at "
        "max_value=2026-11-01 06:00:00+00:00 strict_max=True "
        "-> 1 of 2 rows, e.g. 2027-01-05 00:00:00+00:00"
    ]


def test_account_with_a_blank_customer_key_fails_the_gate(scratch_database: str) -> None:
    batch = core_batch(accounts=[account_row("A001"), account_row("A002", customer_id="  ")])

    report = gate(scratch_database, batch)

    # The blank key is reported, and it names no customer either.
    assert report.failed == [
        "raw_core_banking.accounts: expect_column_values_to_not_match_regex column=customer_id "
        "regex=^\\s*$ -> 1 of 2 rows, e.g.   ",
        "raw_core_banking.accounts: unexpected_rows_expectation customer_id: every value "
        "names a row of raw_core_banking.customers -> 1",
    ]


def test_one_key_with_two_contents_in_a_batch_fails_the_gate(scratch_database: str) -> None:
    batch = core_batch(customers=[customer_row("C001"), customer_row("C001", segment="affluent")])

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.customers: unexpected_rows_expectation customer_id: one content "
        "per key in a batch -> 1"
    ]


def test_version_restated_with_the_same_change_timestamp_fails_the_gate(
    scratch_database: str,
) -> None:
    land_rows(scratch_database, core_batch(), logical_date=date(2026, 10, 31))
    # The next night's batch carries C001 again, changed, but with the same updated_at:
    # staging could not tell which version is the newer one.
    batch = core_batch(customers=[customer_row("C001", credit_rating="BB")])

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.customers: unexpected_rows_expectation customer_id: one content "
        "per key and updated_at across batches -> 1"
    ]


def test_account_in_currency_xxx_fails_the_gate(scratch_database: str) -> None:
    batch = core_batch(accounts=[account_row("A001"), account_row("A002", currency="XXX")])

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.accounts: expect_column_values_to_be_in_set column=currency "
        "value_set=['CNY'] -> 1 of 2 rows, e.g. XXX"
    ]


def test_account_without_its_customer_fails_the_gate(scratch_database: str) -> None:
    batch = core_batch(accounts=[account_row("A001"), account_row("A002", customer_id="C404")])

    report = gate(scratch_database, batch)

    assert report.failed == [
        "raw_core_banking.accounts: unexpected_rows_expectation customer_id: every value "
        "names a row of raw_core_banking.customers -> 1"
    ]


def test_account_whose_customer_landed_on_an_earlier_night_passes(scratch_database: str) -> None:
    land_rows(scratch_database, core_batch(), logical_date=date(2026, 10, 31))
    later = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    batch = {"raw_core_banking.accounts": [account_row("A002", updated_at=later)]}

    report = gate(scratch_database, batch)

    assert report.failed == []


def test_crm_interaction_type_outside_its_list_fails_the_gate(scratch_database: str) -> None:
    land_crm(
        scratch_database,
        "interactions",
        [interaction("I1"), interaction("I2", interaction_type="meeting")],
    )
    log_empty_batches(scratch_database, skip=("raw_crm.interactions",))

    report = validate_raw_landings(scratch_database, LOGICAL_DATE)

    assert report.failed == [
        "raw_crm.interactions: expect_column_values_to_be_in_set column=interaction_type "
        "value_set=['visit', 'call', 'complaint'] -> 1 of 2 rows, e.g. meeting"
    ]


# --- dbt: the staging tests read the same code list -----------------------------------


@pytest.fixture
def dbt_outcome(scratch_database: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Build the account staging models over bad rows with dbt; test name -> status."""
    batch = core_batch(
        accounts=[
            account_row("A001"),
            account_row("A002", currency="XXX"),
            account_row("A003", customer_id="C404"),
        ]
    )
    land_rows(scratch_database, batch)
    env = {**os.environ, **dbt_env(scratch_database), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    selected = "accepted_codes stg_core_banking__customers stg_core_banking__products " + (
        "stg_core_banking__accounts"
    )
    subprocess.run(
        [dbt, "build", "--select", *selected.split(), "--indirect-selection", "cautious",
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--quiet"],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    yield {result["unique_id"].split(".")[2]: result["status"] for result in results["results"]}


def test_dbt_staging_tests_fail_on_currency_xxx_and_a_missing_customer(
    dbt_outcome: dict[str, str],
) -> None:
    assert dbt_outcome["accepted_code_stg_core_banking__accounts_currency__currency_code"] == (
        "fail"
    )
    relationship = (
        "relationships_stg_core_banking__accounts_customer_id__customer_id__ref_"
        "stg_core_banking__customers_"
    )
    assert dbt_outcome[relationship] == "fail"
    # The good codes pass: the seed is read, not an empty list.
    assert dbt_outcome["accepted_code_stg_core_banking__accounts_account_status__status"] == (
        "pass"
    )
    assert dbt_outcome["accepted_codes"] == "success"
