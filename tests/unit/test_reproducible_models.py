"""A mart is a function of the batches landed: no model reads the clock.

A model that stamps its rows with the build date publishes different rows
when the same batches are rebuilt another day (a rerun, a backfill, the other
engine), and the comparisons that prove a rebuild changes nothing fail across
midnight. Dates in the marts come from the data: logical dates, months.
"""

from __future__ import annotations

import re

from cvw.config import PROJECT_ROOT

SQL_FOLDERS = ("models", "snapshots", "data-tests")
# The wall-clock functions of PostgreSQL and Spark SQL, and dbt's run time.
CLOCK = re.compile(
    r"\b(?:current_date|current_timestamp|localtimestamp|localtime|clock_timestamp"
    r"|statement_timestamp|transaction_timestamp|run_started_at)\b|\bnow\s*\(",
    re.IGNORECASE,
)


def _clock_reads(text: str) -> list[str]:
    return [match.group(0) for match in CLOCK.finditer(text)]


def test_no_model_reads_the_clock() -> None:
    files = [
        path
        for folder in SQL_FOLDERS
        for path in sorted((PROJECT_ROOT / "dbt_project" / folder).rglob("*.sql"))
    ]
    assert len(files) > 80
    reads = {
        f"{path.relative_to(PROJECT_ROOT)}: {', '.join(found)}"
        for path in files
        if (found := _clock_reads(path.read_text()))
    }
    assert reads == set()


def test_the_check_finds_a_build_date() -> None:
    assert _clock_reads("select current_date as matched_on, now() as at") == [
        "current_date",
        "now(",
    ]
    assert _clock_reads("select logical_date, currency from batches") == []
