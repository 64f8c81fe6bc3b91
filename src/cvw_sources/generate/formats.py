"""Text forms of money, rates and dates shared by every generated source."""

from __future__ import annotations


def money(cents: int) -> str:
    """Cents as a decimal string with two places: ``-1234`` is ``-12.34``."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"


def rate(millionths: int) -> str:
    """A non-negative rate in millionths as a decimal string with six places."""
    whole, fraction = divmod(millionths, 1_000_000)
    return f"{whole}.{fraction:06d}"
