"""ERP file pickup on a real PostgreSQL: manifest checks, quarantine, reruns, folder ledger."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from cvw.catalog import tables_of
from cvw.extract.erp import ExportError, extract_erp

GL_HEADER = [
    "posting_id", "posting_date", "period", "gl_account", "gl_line", "cost_center_id",
    "amount", "currency", "description",
]  # fmt: skip


def _write_export(root: Path, export_date: str, gl_rows: list[list[str]], *, tamper=None) -> None:
    folder = root / export_date
    folder.mkdir(parents=True)
    files = {}
    for source in tables_of("erp"):
        rows = gl_rows if source.name == "gl_postings" else []
        path = folder / f"{source.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(source.column_names)
            writer.writerows(rows)
        money = [c.name for c in source.columns if c.type == "numeric(18,2)"]
        totals = {
            name: str(
                sum((Decimal(r[source.column_names.index(name)] or 0) for r in rows), Decimal(0))
            )
            for name in money
        }
        files[path.name] = {
            "rows": len(rows),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "control_totals": totals,
        }
    if tamper:
        tamper(files)
    (folder / "manifest.json").write_text(json.dumps({"export_date": export_date, "files": files}))


def _gl(posting_id: str, posting_date: str, amount: str) -> list[str]:
    return [posting_id, posting_date, posting_date[:7], "6011", "interest_income", "CC-BR001",
            amount, "CNY", ""]  # fmt: skip


def _counts(url: str) -> tuple[int, int, list]:
    with psycopg.connect(url) as conn:
        raw = conn.execute("select count(*) from raw_erp.gl_postings").fetchone()[0]
        quarantined = conn.execute("select count(*) from raw_meta.quarantine").fetchone()[0]
        batches = conn.execute(
            "select logical_date, rows_read, rows_loaded, rows_quarantined"
            " from raw_meta.load_batches where table_name = 'gl_postings' order by logical_date"
        ).fetchall()
    return raw, quarantined, batches


RUN_1 = datetime(2026, 10, 1, 6, tzinfo=UTC)
RUN_2 = datetime(2026, 11, 1, 6, tzinfo=UTC)


def test_export_loads_and_quarantines_bad_rows_with_reason(tmp_path, scratch_database):
    rows = [_gl("GL-1", "2026-09-30", "100.00"), _gl("GL-2", "2026-13-45", "5.00"),
            _gl("GL-3", "2026-09-30", "0.50")]  # fmt: skip
    _write_export(tmp_path, "2026-09-30", rows)
    extract_erp(scratch_database, tmp_path, RUN_1.date(), RUN_1, progress=lambda _: None)
    raw, quarantined, batches = _counts(scratch_database)
    assert (raw, quarantined) == (2, 1)
    assert batches == [(date(2026, 10, 1), 3, 2, 1)]
    with psycopg.connect(scratch_database) as conn:
        locator, reason = conn.execute(
            "select record_locator, reason from raw_meta.quarantine"
        ).fetchone()
    assert locator == "2026-09-30/gl_postings.csv:3"
    assert reason.startswith("posting_date: '2026-13-45' is not a valid date")


def test_rerun_replaces_the_batch_and_next_date_loads_only_new_exports(tmp_path, scratch_database):
    _write_export(tmp_path, "2026-09-30", [_gl("GL-1", "2026-09-30", "100.00")])
    quiet = {"progress": lambda _: None}
    extract_erp(scratch_database, tmp_path, RUN_1.date(), RUN_1, **quiet)
    extract_erp(scratch_database, tmp_path, RUN_1.date(), RUN_1, **quiet)
    assert _counts(scratch_database)[0] == 1

    _write_export(tmp_path, "2026-10-31", [_gl("GL-2", "2026-10-31", "7.00"),
                                           _gl("GL-3", "2026-10-31", "8.00")])  # fmt: skip
    extract_erp(scratch_database, tmp_path, RUN_2.date(), RUN_2, **quiet)
    raw, _, batches = _counts(scratch_database)
    assert raw == 3
    assert [(b[0], b[2]) for b in batches] == [(date(2026, 10, 1), 1), (date(2026, 11, 1), 2)]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda files: files["gl_postings.csv"].update(rows=3), "read 2 rows, the manifest says 3"),
        (
            lambda files: files["gl_postings.csv"]["control_totals"].update(amount="1.00"),
            "sum of amount is 3.00, the manifest says 1.00",
        ),
        (lambda files: files["gl_postings.csv"].update(sha256="0" * 64), "SHA-256 differs"),
    ],
)
def test_manifest_mismatch_rejects_the_folder_and_loads_nothing(
    tmp_path, scratch_database, tamper, message
):
    rows = [_gl("GL-1", "2026-09-30", "1.00"), _gl("GL-2", "2026-09-30", "2.00")]
    _write_export(tmp_path, "2026-09-30", rows, tamper=tamper)
    with pytest.raises(ExportError, match=f"2026-09-30: .*{message}"):
        extract_erp(scratch_database, tmp_path, RUN_1.date(), RUN_1, progress=lambda _: None)
    raw, quarantined, batches = _counts(scratch_database)
    assert (raw, quarantined, batches) == (0, 0, [(date(2026, 10, 1), 0, 0, 0)])
    with psycopg.connect(scratch_database) as conn:
        status, reason = conn.execute(
            "select status, reason from raw_meta.erp_exports where folder_name = '2026-09-30'"
        ).fetchone()
    assert status == "rejected"
    assert message in reason


def test_folder_without_manifest_is_pending_and_not_recorded(tmp_path, scratch_database):
    (tmp_path / "2026-09-30").mkdir()
    lines: list[str] = []
    extract_erp(scratch_database, tmp_path, RUN_1.date(), RUN_1, progress=lines.append)
    assert "ERP export folder 2026-09-30: pending, no manifest.json yet" in lines
    with psycopg.connect(scratch_database) as conn:
        assert conn.execute("select count(*) from raw_meta.erp_exports").fetchone()[0] == 0


def test_missing_export_directory_is_an_error(tmp_path, scratch_database):
    with pytest.raises(ExportError, match="does not exist"):
        extract_erp(
            scratch_database, tmp_path / "absent", RUN_1.date(), RUN_1, progress=lambda _: None
        )
