"""Extraction windows: which changes a run for a logical date must pick up.

A table's watermark is where the previous logical date's window ended. A run
for date D extracts changes in ``[watermark, end)``. Rerunning D recomputes the
same start (only batches of *earlier* dates count), so a rerun replaces that
date's batch with the same rows instead of loading an empty delta.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import psycopg


@dataclass(frozen=True)
class Window:
    start: datetime | None  # None: first load, everything before ``end``
    end: datetime

    def __post_init__(self) -> None:
        if self.end.tzinfo is None:
            raise ValueError("window end must be timezone-aware")
        if self.start is not None and self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")


def plan_window(
    history: Iterable[tuple[date, datetime]], logical_date: date, end: datetime
) -> Window:
    """The window for ``logical_date`` given earlier batches as (logical_date, window_end)."""
    earlier_ends = [window_end for batch_date, window_end in history if batch_date < logical_date]
    start = max(earlier_ends) if earlier_ends else None
    if start is not None and start > end:
        # A backfill of a date older than the loaded history: nothing new can be before it.
        start = end
    return Window(start=start, end=end)


def batch_history(conn: psycopg.Connection, system: str, table: str) -> list[tuple[date, datetime]]:
    rows = conn.execute(
        "select logical_date, window_end from raw_meta.load_batches"
        " where source_system = %s and table_name = %s",
        (system, table),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]
