"""Rows of aggregate queries, which always return exactly one."""

from __future__ import annotations

from typing import Any

import psycopg


def one_row(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The single row of an executed query; a clear error instead of indexing None."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return tuple(row)


def one_value(cursor: psycopg.Cursor[Any]) -> Any:
    """The first column of the single row of an executed query."""
    return one_row(cursor)[0]
