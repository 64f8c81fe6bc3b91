"""The calendar months the generated data covers, and date/time helpers in UTC."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clipped to the end of a shorter month."""
    serial = day.year * 12 + day.month - 1 + months
    year, month = divmod(serial, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def epoch_seconds(day: date) -> int:
    """Seconds from 1970-01-01 to midnight UTC of ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * SECONDS_PER_DAY


def day_of(seconds: int) -> date:
    return date.fromordinal(seconds // SECONDS_PER_DAY + _EPOCH_ORDINAL)


def iso_timestamp(seconds: int) -> str:
    """``2026-03-04T10:15:00+00:00``: the one timestamp format all generated sources use."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def at(day: date, hour: int, minute: int = 0) -> str:
    return iso_timestamp(epoch_seconds(day) + hour * 3600 + minute * 60)


@dataclass(frozen=True)
class Window:
    """``months`` calendar months ending with the month of ``as_of`` (a month end)."""

    as_of: date
    month_starts: tuple[date, ...]
    month_ends: tuple[date, ...]

    @classmethod
    def ending(cls, as_of: date, months: int) -> Window:
        ends = tuple(
            month_end(d.year, d.month) for d in (add_months(as_of, -n) for n in range(months))
        )[::-1]
        return cls(as_of, tuple(end.replace(day=1) for end in ends), ends)

    @property
    def months(self) -> int:
        return len(self.month_ends)

    @property
    def start(self) -> date:
        return self.month_starts[0]

    @cached_property
    def end_seconds(self) -> int:
        """The first second after ``as_of``: every generated event happens before it."""
        return epoch_seconds(self.as_of) + SECONDS_PER_DAY

    @cached_property
    def month_start_seconds(self) -> tuple[int, ...]:
        return tuple(epoch_seconds(start) for start in self.month_starts)

    @cached_property
    def month_stop_seconds(self) -> tuple[int, ...]:
        """The first second after each month."""
        return tuple(epoch_seconds(end) + SECONDS_PER_DAY for end in self.month_ends)

    def days_in(self, month: int) -> int:
        return self.month_ends[month].day

    def period(self, month: int) -> str:
        return self.month_ends[month].strftime("%Y-%m")

    def month_of(self, day: date) -> int:
        """Index of the window month holding ``day``: negative before, ``months`` or more after."""
        first = self.month_starts[0]
        return (day.year - first.year) * 12 + day.month - first.month
