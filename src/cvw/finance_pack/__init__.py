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
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from cvw.finance_pack.sheets import RULES_AND_RATES, SHEETS
from cvw.finance_pack.workbook import SheetData, write_workbook
from cvw.marts_reader import Fetch, postgres_fetch, spark_fetch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The published marts a sheet query reads.
_MARTS = re.compile(r"\bmarts\.(\w+)")

__all__ = ["write_finance_pack", "write_finance_pack_on_spark"]


def reporting_month(fetch: Fetch) -> date:
    """The latest month the published contribution marts report on."""
    rows = fetch("select max(month) as month from marts.contribution_by_branch_monthly", {})
    month: date | None = rows[0]["month"] if rows else None
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


def _read_sheets(fetch: Fetch, logical_date: date) -> list[SheetData]:
    month = reporting_month(fetch)
    year_start = month.replace(month=1)
    params = {"month": month, "year_start": year_start}
    subtitle = _subtitle(month, year_start, logical_date)
    sheets = []
    for sheet in SHEETS:
        rows = fetch(sheet.query, params)
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
            sheets = _read_sheets(postgres_fetch(conn), logical_date)
    return _write(path, sheets, logical_date)


def write_finance_pack_on_spark(spark: SparkSession, path: Path, logical_date: date) -> Path:
    """The same pack from the marts published on Spark (cvw.publish_spark).

    The sheets' queries are plain SQL that Spark runs as they are, with named
    parameters. Spark has no snapshot over several views: a publish that
    switches views while the pack is read could mix two publications, so the
    pack checks that every mart it read carries one publication id.
    """
    from cvw.publish_spark import publication_of

    marts = sorted({name for sheet in SHEETS for name in _MARTS.findall(sheet.query)})
    before = {name: publication_of(spark, name) for name in marts}
    sheets = _read_sheets(spark_fetch(spark), logical_date)
    after = {name: publication_of(spark, name) for name in marts}
    if len({*before.values(), *after.values()}) != 1:
        raise RuntimeError(f"a publish ran while the finance pack was read: {after}; rerun")
    return _write(path, sheets, logical_date)


def _write(path: Path, sheets: list[SheetData], logical_date: date) -> Path:
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
