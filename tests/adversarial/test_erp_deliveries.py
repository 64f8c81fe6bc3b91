"""ERP deliveries that arrive late, twice, broken, in the wrong encoding, or through links.

Each test writes small export folders by hand (five catalog files, only
``gl_postings`` with rows, and a manifest computed from the written bytes) and
runs the extract against a scratch database. Night 1 is 2026-11-01, night 2
2026-11-02; the expected counts are worked out from the rows written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from cvw.catalog import tables_of
from cvw.extract.erp import extract_erp
from cvw.extract.erp_files import ExportError, validate_export

NIGHT_1 = datetime(2026, 11, 1, 6, tzinfo=UTC)
NIGHT_2 = datetime(2026, 11, 2, 6, tzinfo=UTC)
GL_HEADER = (
    "posting_id,posting_date,period,gl_account,gl_line,cost_center_id,amount,currency,description"
)


def _gl(posting_id: str, posting_date: str, amount: str, description: str = "") -> str:
    return (
        f"{posting_id},{posting_date},{posting_date[:7]},6011,interest_income,CC-BR001,"
        f"{amount},CNY,{description}"
    )


def _write_export(
    root: Path, name: str, gl_lines: list[str], *, gl_bytes: bytes | None = None, tamper=None
) -> Path:
    """An export folder whose manifest vouches for exactly the bytes written."""
    folder = root / name
    folder.mkdir(parents=True)
    files = {}
    for source in tables_of("erp"):
        path = folder / f"{source.name}.csv"
        if source.name == "gl_postings":
            data = (
                gl_bytes if gl_bytes is not None else "\n".join([GL_HEADER, *gl_lines, ""]).encode()
            )
        else:
            data = (",".join(source.column_names) + "\n").encode()
        path.write_bytes(data)
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8", errors="replace"))))
        money = [c.name for c in source.columns if c.type == "numeric(18,2)"]
        totals = {m: str(sum((Decimal(r[m] or 0) for r in rows), Decimal(0))) for m in money}
        files[path.name] = {
            "rows": len(rows),
            "sha256": hashlib.sha256(data).hexdigest(),
            "control_totals": totals,
        }
    if tamper:
        tamper(files)
    (folder / "manifest.json").write_text(json.dumps({"export_date": name, "files": files}))
    return folder


def _run(url: str, export_dir: Path, moment: datetime, *, rejects: str = "") -> list[str]:
    """The run's progress lines; ``rejects`` names the folder whose rejection fails the run."""
    lines: list[str] = []
    if rejects:
        with pytest.raises(ExportError) as raised:
            extract_erp(url, export_dir, moment.date(), moment, progress=lines.append)
        assert str(raised.value).startswith(
            f"1 ERP export folder(s) rejected, the run stops before publishing: {rejects}: "
        )
    else:
        extract_erp(url, export_dir, moment.date(), moment, progress=lines.append)
    return lines


def _gl_batches(url: str) -> list[tuple[date, int, int, int]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select logical_date, rows_read, rows_loaded, rows_quarantined from"
            " raw_meta.load_batches where table_name = 'gl_postings' order by logical_date"
        ).fetchall()


def _posting_ids(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select posting_id from raw_erp.gl_postings order by 1").fetchall()
    return [row[0] for row in rows]


def _ledger(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select folder_name, status, logical_date, duplicate_of from raw_meta.erp_exports"
            " order by folder_name"
        ).fetchall()


def _reason(url: str, folder_name: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select reason from raw_meta.erp_exports where folder_name = %s", (folder_name,)
        ).fetchone()[0]


def test_a_folder_arriving_after_a_later_one_is_loaded_the_next_night(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    _write_export(exports, "2026-10-31", [_gl("GL-10", "2026-10-31", "7.00"),
                                          _gl("GL-11", "2026-10-31", "8.00")])  # fmt: skip
    _run(scratch_database, exports, NIGHT_1)
    _write_export(exports, "2026-09-30", [_gl("GL-9", "2026-09-30", "100.00")])
    lines = _run(scratch_database, exports, NIGHT_2)
    assert "ERP export folders loaded in this run: 2026-09-30" in lines
    assert _gl_batches(scratch_database) == [
        (date(2026, 11, 1), 2, 2, 0),
        (date(2026, 11, 2), 1, 1, 0),
    ]
    assert _posting_ids(scratch_database) == ["GL-10", "GL-11", "GL-9"]
    assert _ledger(scratch_database) == [
        ("2026-09-30", "loaded", date(2026, 11, 2), None),
        ("2026-10-31", "loaded", date(2026, 11, 1), None),
    ]
    # A rerun of night 2 replaces its batch with the same late folder, once.
    _run(scratch_database, exports, NIGHT_2)
    assert _gl_batches(scratch_database)[1] == (date(2026, 11, 2), 1, 1, 0)
    assert _posting_ids(scratch_database) == ["GL-10", "GL-11", "GL-9"]


def test_the_same_export_under_another_name_is_skipped_with_a_warning(
    tmp_path, scratch_database, caplog
):
    exports = tmp_path / "exports"
    folder = _write_export(exports, "2026-10-31", [_gl("GL-10", "2026-10-31", "7.00")])
    _run(scratch_database, exports, NIGHT_1)
    shutil.copytree(folder, exports / "2026-10-31-resent")
    with caplog.at_level(logging.WARNING, logger="cvw.extract.erp"):
        lines = _run(scratch_database, exports, NIGHT_2)
    assert _gl_batches(scratch_database)[1] == (date(2026, 11, 2), 0, 0, 0)
    assert _posting_ids(scratch_database) == ["GL-10"]
    assert _ledger(scratch_database) == [
        ("2026-10-31", "loaded", date(2026, 11, 1), None),
        ("2026-10-31-resent", "skipped_duplicate", date(2026, 11, 2), "2026-10-31"),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2026-10-31-resent not loaded: the same files as 2026-10-31" in warnings[0]
    assert any(
        line.startswith("ERP export folder 2026-10-31-resent: skipped_duplicate") for line in lines
    )


def test_two_copies_in_one_delivery_load_once(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    folder = _write_export(exports, "2026-10-31", [_gl("GL-10", "2026-10-31", "7.00"),
                                                   _gl("GL-11", "2026-10-31", "8.00")])  # fmt: skip
    shutil.copytree(folder, exports / "2026-10-31-copy")
    _run(scratch_database, exports, NIGHT_1)
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 2, 2, 0)]
    assert [row[:2] for row in _ledger(scratch_database)] == [
        ("2026-10-31", "loaded"), ("2026-10-31-copy", "skipped_duplicate"),
    ]  # fmt: skip


def test_a_folder_failing_its_manifest_is_reported_and_loads_once_corrected(
    tmp_path, scratch_database
):
    exports = tmp_path / "exports"
    _write_export(exports, "2026-09-30", [_gl("GL-9", "2026-09-30", "100.00")])
    bad_rows = [_gl("GL-10", "2026-10-31", "1.00"), _gl("GL-11", "2026-10-31", "2.00")]

    def three_rows(files):
        files["gl_postings.csv"]["rows"] = 3

    _write_export(exports, "2026-10-31", bad_rows, tamper=three_rows)
    (exports / "2026-11-30").mkdir()  # still being delivered: no manifest yet
    lines = _run(scratch_database, exports, NIGHT_1, rejects="2026-10-31")
    reason = "2026-10-31/gl_postings.csv: read 2 rows, the manifest says 3"
    assert lines[-3:] == [
        "ERP export folders loaded in this run: 2026-09-30",
        "ERP export folder 2026-11-30: pending, no manifest.json yet",
        f"ERP export folder 2026-10-31: rejected, {reason}",
    ]
    assert _reason(scratch_database, "2026-10-31") == reason
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 1, 1, 0)]
    assert [row[:2] for row in _ledger(scratch_database)] == [
        ("2026-09-30", "loaded"), ("2026-10-31", "rejected"),
    ]  # fmt: skip
    # The ERP sends a corrected manifest: the next night loads the folder.
    shutil.rmtree(exports / "2026-10-31")
    _write_export(exports, "2026-10-31", bad_rows)
    _run(scratch_database, exports, NIGHT_2)
    assert _gl_batches(scratch_database)[1] == (date(2026, 11, 2), 2, 2, 0)
    assert _posting_ids(scratch_database) == ["GL-10", "GL-11", "GL-9"]


def test_rows_read_equal_rows_loaded_plus_quarantined(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    _write_export(exports, "2026-09-30", [_gl("GL-1", "2026-09-30", "100.00"),
                                          _gl("GL-2", "2026-13-45", "5.00")])  # fmt: skip
    _write_export(exports, "2026-10-31", [_gl("GL-3", "2026-10-31", "0.50")])
    _run(scratch_database, exports, NIGHT_1)
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 3, 2, 1)]
    with psycopg.connect(scratch_database) as conn:
        locators = conn.execute("select record_locator from raw_meta.quarantine").fetchall()
    assert locators == [("2026-09-30/gl_postings.csv:3",)]


def test_a_gbk_file_is_rejected_naming_file_line_and_encoding(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    content = "\n".join([GL_HEADER, _gl("GL-1", "2026-10-31", "1.00"),
                         _gl("GL-2", "2026-10-31", "5.00", "利息收入"), ""])  # fmt: skip
    folder = _write_export(exports, "2026-10-31", [], gl_bytes=content.encode("gbk"))
    # 利 is 0xC0 0xFB in GBK; the 63 ASCII characters before it end at position 63.
    expected = (
        "2026-10-31/gl_postings.csv: line 3 is not valid UTF-8 (byte 0xc0 at position 64);"
        " ERP exports must be encoded in UTF-8"
    )
    with pytest.raises(ExportError) as raised:
        validate_export(folder)
    assert str(raised.value) == expected
    lines = _run(scratch_database, exports, NIGHT_1, rejects="2026-10-31")
    assert lines[-1] == f"ERP export folder 2026-10-31: rejected, {expected}"
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 0, 0, 0)]


SECRET = "GL-S,2026-10-31,2026-10,6011,interest_income,CC-BR001,1.00,CNY,do-not-print"


def _outside_file(tmp_path: Path) -> Path:
    """A readable file outside the export directory, shaped like a valid export file."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "ledger.csv"
    path.write_text(f"{GL_HEADER.replace('posting_id', 'secret_id')}\n{SECRET}\n")
    return path


def _assert_nothing_leaked(url: str, lines: list[str]) -> None:
    with psycopg.connect(url) as conn:
        texts = conn.execute(
            "select coalesce(string_agg(reason, ' '), '') from raw_meta.erp_exports"
        ).fetchone()[0]
    for text in [texts, *lines]:
        assert "do-not-print" not in text and "secret_id" not in text


def test_a_symlinked_file_is_refused_before_it_is_read(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    target = _outside_file(tmp_path)
    folder = _write_export(exports, "2026-10-31", [_gl("GL-1", "2026-10-31", "1.00")])
    (folder / "gl_postings.csv").unlink()
    (folder / "gl_postings.csv").symlink_to(target)
    lines = _run(scratch_database, exports, NIGHT_1, rejects="2026-10-31")
    reason = "2026-10-31/gl_postings.csv: is a symbolic link; export files must be files"
    assert lines[-1] == f"ERP export folder 2026-10-31: rejected, {reason}"
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 0, 0, 0)]
    _assert_nothing_leaked(scratch_database, lines)


def test_a_symlinked_folder_is_refused_before_it_is_read(tmp_path, scratch_database):
    exports = tmp_path / "exports"
    elsewhere = _write_export(
        tmp_path / "elsewhere", "2026-10-31", [_gl("GL-1", "2026-10-31", "1.00")]
    )
    exports.mkdir()
    (exports / "2026-10-31").symlink_to(elsewhere, target_is_directory=True)
    lines = _run(scratch_database, exports, NIGHT_1, rejects="2026-10-31")
    reason = "2026-10-31: is a symbolic link; export folders must be directories"
    assert lines[-1] == f"ERP export folder 2026-10-31: rejected, {reason}"
    assert _gl_batches(scratch_database) == [(date(2026, 11, 1), 0, 0, 0)]
    assert _posting_ids(scratch_database) == []
    _assert_nothing_leaked(scratch_database, lines)
