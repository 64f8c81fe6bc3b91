"""Extraction windows: which changes a run for a logical date must pick up.

A table's watermark is where the previous logical date's window ended. A run
for date D extracts changes in ``[watermark, end)``. Rerunning D recomputes the
same start (only batches of *earlier* dates count), so a rerun replaces that
date's batch with the same rows instead of loading an empty delta.

A source whose change timestamps can lag the moment a row becomes visible (a
back-dated posting, a correction committed late) is read with a lookback: the
window opens ``lookback`` before the watermark, so a row that was not there
yet when the previous window closed is still picked up if it is no older than
that. The loader skips re-read rows that are already landed (see
``cvw.landing``). A row back-dated by more than the lookback is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

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
    history: Iterable[tuple[date, datetime]],
    logical_date: date,
    end: datetime,
    lookback: timedelta = timedelta(0),
) -> Window:
    """The window for ``logical_date`` given earlier batches as (logical_date, window_end).

    It opens ``lookback`` before the watermark; a first load has no lower bound.
    """
    if lookback < timedelta(0):
        raise ValueError(f"lookback must not be negative, got {lookback}")
    earlier_ends = [window_end for batch_date, window_end in history if batch_date < logical_date]
    if not earlier_ends:
        return Window(start=None, end=end)
    # A backfill of a date older than the loaded history: nothing new can be
    # before its end, only late rows within the lookback.
    watermark = min(max(earlier_ends), end)
    return Window(start=watermark - lookback, end=end)


def batch_history(conn: psycopg.Connection, system: str, table: str) -> list[tuple[date, datetime]]:
    rows = conn.execute(
        "select logical_date, window_end from raw_meta.load_batches"
        " where source_system = %s and table_name = %s",
        (system, table),
    ).fetchall()
    return [(row[0], row[1]) for row in rows]
