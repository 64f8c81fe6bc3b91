"""Rows in PostgreSQL's COPY text format, built a column at a time with numpy.

Formatting tens of millions of rows one Python string at a time would cost more
than generating them. Here a column is one or more ``Part``s: a byte matrix with
one right-padded row per table row and a mask of the bytes that belong to the
value (None: all of them). A block of rows is the masked bytes of all columns
side by side, separated by tabs and ended by newlines, which one boolean index
over a single matrix yields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np

from cvw_sources.generate.window import SECONDS_PER_DAY

NULL = "\\N"
_TAB, _NEWLINE = ord("\t"), ord("\n")
_ZERO = ord("0")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True, slots=True)
class Part:
    """Row i's text is ``chars[i, mask[i]]``, or all of ``chars[i]`` without a mask."""

    chars: np.ndarray  # (rows, width) uint8, or (width,) for the same text on every row
    mask: np.ndarray | None = None  # (rows, width) bool

    @property
    def width(self) -> int:
        return int(self.chars.shape[-1])


Column = tuple[Part, ...]


class Labels:
    """A fixed set of texts (None for null), looked up by code."""

    def __init__(self, texts: Sequence[str | None]) -> None:
        encoded = [(NULL if text is None else text.translate(_ESCAPES)).encode() for text in texts]
        table = np.array(encoded, dtype=bytes)
        self._chars = table.view(np.uint8).reshape(len(table), table.dtype.itemsize)
        self._mask = self._chars != 0

    def column(self, codes: np.ndarray) -> Column:
        return (Part(self._chars[codes], self._mask[codes]),)


def rows(columns: Sequence[Column]) -> bytes:
    """The COPY text of the rows, columns in order."""
    count = next(len(part.chars) for column in columns for part in column if part.chars.ndim == 2)
    width = sum(part.width for column in columns for part in column) + len(columns)
    chars = np.empty((count, width), dtype=np.uint8)
    mask = np.empty((count, width), dtype=bool)
    start = 0
    for column in columns:
        for part in column:
            stop = start + part.width
            chars[:, start:stop] = part.chars
            mask[:, start:stop] = True if part.mask is None else part.mask
            start = stop
        chars[:, start] = _TAB
        mask[:, start] = True
        start += 1
    chars[:, -1] = _NEWLINE
    return chars[mask].tobytes()


def text(value: str) -> Part:
    """The same text on every row."""
    return Part(np.frombuffer(value.translate(_ESCAPES).encode(), dtype=np.uint8))


def strings(values: Sequence[str | None]) -> Column:
    """Short ASCII texts that need no escaping, such as identifiers; None for null."""
    table = np.array([NULL if value is None else value for value in values], dtype=bytes)
    chars = table.view(np.uint8).reshape(len(table), table.dtype.itemsize)
    return (Part(chars, chars != 0),)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The last ``width`` decimal digits of non-negative integers, zero-padded, as text."""
    chars = np.empty((len(values), width), dtype=np.uint8)
    rest = np.asarray(values, dtype=np.int64)
    for position in range(width - 1, -1, -1):
        quotient = rest // 10
        chars[:, position] = rest - quotient * 10 + _ZERO
        rest = quotient
    return chars


def integers(values: np.ndarray) -> Column:
    """Non-negative integers in decimal."""
    values = np.asarray(values, dtype=np.int64)
    return (_unpadded(values),)


def prefixed(prefix: str, numbers: np.ndarray, width: int) -> Column:
    """Identifiers such as ``A0000000042``: a prefix and a number zero-padded to ``width``."""
    return (text(prefix), Part(digits(numbers, width)))


def optional_prefixed(prefix: str, numbers: np.ndarray, width: int, present: np.ndarray) -> Column:
    """Like ``prefixed`` where ``present`` is true, null elsewhere."""
    shown = np.asarray(present, dtype=bool)[:, None]
    return (
        Part(text(prefix).chars, np.repeat(shown, len(prefix), axis=1)),
        Part(digits(numbers, width), np.repeat(shown, width, axis=1)),
        Part(np.frombuffer(NULL.encode(), dtype=np.uint8), np.repeat(~shown, len(NULL), axis=1)),
    )


def decimals(values: np.ndarray, places: int) -> Column:
    """Integers in units of ``10**-places`` as decimals: ``-1234`` with 2 places is ``-12.34``."""
    values = np.asarray(values, dtype=np.int64)
    whole, fraction = np.divmod(np.abs(values), 10**places)
    negative = (values < 0)[:, None]
    return (
        Part(np.full((len(values), 1), ord("-"), dtype=np.uint8), negative),
        _unpadded(whole),
        text("."),
        Part(digits(fraction, places)),
    )


def dates(days: np.ndarray) -> Column:
    """ISO dates of days counted from 1970-01-01."""
    days = np.asarray(days, dtype=np.int64)
    first, last = (int(days.min()), int(days.max())) if len(days) else (0, 0)
    texts = [date.fromordinal(_EPOCH_ORDINAL + day).isoformat() for day in range(first, last + 1)]
    return Labels(texts).column(days - first)


def timestamps(seconds: np.ndarray) -> Column:
    """``2026-03-04T10:15:00+00:00`` for seconds from the epoch (the generator's one format)."""
    days, time_of_day = np.divmod(np.asarray(seconds, dtype=np.int64), SECONDS_PER_DAY)
    return (*dates(days), text("T"), Part(_clock()[time_of_day]), text("+00:00"))


@cache
def _clock() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day."""
    hours, rest = np.divmod(np.arange(SECONDS_PER_DAY), 3600)
    minutes, seconds = np.divmod(rest, 60)
    colon = np.full((SECONDS_PER_DAY, 1), ord(":"), dtype=np.uint8)
    return np.hstack([digits(hours, 2), colon, digits(minutes, 2), colon, digits(seconds, 2)])


def _unpadded(values: np.ndarray) -> Part:
    width = len(str(int(values.max(initial=0))))
    # A digit is shown from the number's leading digit on; zero itself is one digit.
    mask = values[:, None] >= 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    mask[:, -1] = True
    return Part(digits(values, width), mask)
