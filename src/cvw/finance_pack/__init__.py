"""The monthly finance pack: an Excel workbook of the published contribution marts,
written after every publish.

It reads schema ``marts`` as the BI reader role (personal columns masked), in
one read-only transaction so every sheet shows the same publication, for the
latest reporting month and its year to date. The workbook is written beside
its final name and renamed over it, so a rerun of a logical date replaces the
pack whole and nobody ever opens a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cvw.db_rows import one_value
from cvw.finance_pack.sheets import RULES_AND_RATES, SHEETS
from cvw.finance_pack.workbook import SheetData, write_workbook

__all__ = ["reporting_month", "write_finance_pack"]


def reporting_month(conn: psycopg.Connection) -> date:
    """The latest month the published contribution marts report on."""
    month: date | None = one_value(
        conn.execute("select max(month) from marts.contribution_by_branch_monthly")
    )
    if month is None:
        raise RuntimeError("the published marts hold no contribution month; nothing to report")
    return month


def _subtitle(month: date, year_start: date, logical_date: date) -> str:
    return (
        f"Reporting month {month:%Y-%m}, year to date {year_start:%Y-%m} to {month:%Y-%m};"
        f" published marts of logical date {logical_date.isoformat()}; amounts in CNY"
    )


def _rules_statement(rows: list[dict[str, Any]]) -> str:
    """The two rates finance asks for first, stated above the full list."""
    curve_months = sorted({row["source_month"] for row in rows if row["rate_group"] == "ftp_rate"})
    hurdle = [row["rate_value"] for row in rows if row["rate_key"] == "contribution_hurdle_rate"]
    curve = ", ".join(f"{month:%Y-%m}" for month in curve_months) or "none loaded"
    rate = f"{hurdle[0]:.2%}" if hurdle else "not set"
    return f"FTP curve month {curve}; hurdle rate {rate}"


def _read_sheets(conn: psycopg.Connection, logical_date: date) -> list[SheetData]:
    month = reporting_month(conn)
    year_start = month.replace(month=1)
    params = {"month": month, "year_start": year_start}
    subtitle = _subtitle(month, year_start, logical_date)
    sheets = []
    with conn.cursor(row_factory=dict_row) as cursor:
        for sheet in SHEETS:
            rows = cursor.execute(sheet.query, params).fetchall()
            if sheet is RULES_AND_RATES:
                sheets.append(SheetData(sheet, rows, f"{_rules_statement(rows)}. {subtitle}"))
            else:
                sheets.append(SheetData(sheet, rows, subtitle))
    return sheets


def write_finance_pack(reader_url: str, path: Path, logical_date: date) -> Path:
    """Write the pack of ``logical_date`` to ``path`` from the marts ``reader_url`` reads."""
    with psycopg.connect(reader_url) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            sheets = _read_sheets(conn, logical_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx")
    os.close(fd)
    try:
        write_workbook(Path(draft), sheets, logical_date)
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
    return path
