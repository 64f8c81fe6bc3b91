"""The few SQL constructs the gates write differently for PostgreSQL and Spark SQL.

The aggregate queries are otherwise the same text on both engines: both accept
``count(*) filter (where ...)``, ``is distinct from``, ``::bigint``, typed
``date '...'`` literals, row-value ``in`` subqueries and scalar subqueries in an
aggregate's select list. What differs gets one method here:

- identifiers: PostgreSQL quotes with double quotes; Spark with backticks. Spark
  reads double-quoted names only with ``spark.sql.ansi.doubleQuotedIdentifiers``
  (otherwise ``"a"`` is the string ``'a'``), and the gates must not depend on how
  a session is configured.
- literals: Spark unescapes backslashes in every string literal, so a pattern's
  ``\\s`` is written ``\\\\s`` there; timestamps need a typed literal.
- a regular-expression match: PostgreSQL's ``~`` (POSIX), Spark's ``rlike`` (Java).
  The patterns the gates use mean the same in both, except that Java's ``$`` also
  matches before a final line break.
- a row value: PostgreSQL's ``row(...)``, Spark's ``struct(...)``; both compare
  their fields with NULLs equal under ``is distinct from`` and ``count(distinct)``.

The gates use no date arithmetic and no ``now()``: every moment they compare with
comes from the batch log as a literal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from psycopg import sql

Value = str | bool | int | float | Decimal | date | datetime


class Dialect(Protocol):
    def identifier(self, name: str) -> str: ...

    def literal(self, value: Value) -> str: ...

    def matches(self, expression: str, pattern: str) -> str: ...

    def row(self, expressions: Iterable[str]) -> str: ...


class PostgresDialect:
    """PostgreSQL, rendered by psycopg as the gates always have been."""

    def identifier(self, name: str) -> str:
        return sql.Identifier(name).as_string()

    def literal(self, value: Value) -> str:
        # A numeric bound stays a numeric literal, a date ``'2026-11-01'::date``, an
        # aware timestamp ``'...+00:00'::timestamptz``.
        return sql.Literal(value).as_string()

    def matches(self, expression: str, pattern: str) -> str:
        return f"{expression} ~ {self.literal(pattern)}"

    def row(self, expressions: Iterable[str]) -> str:
        return f"row({', '.join(expressions)})"


class SparkDialect:
    """Spark SQL 4 (ANSI mode or not)."""

    def identifier(self, name: str) -> str:
        return "`{}`".format(name.replace("`", "``"))

    def literal(self, value: Value) -> str:
        # bool before int (a bool is an int), datetime before date (a datetime is a date).
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | Decimal):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"no Spark SQL literal for {value}")
            # ``0.3`` is an exact decimal literal in Spark, as in PostgreSQL.
            return repr(value)
        if isinstance(value, datetime):
            # An aware moment keeps its offset, so the session time zone cannot shift it.
            kind = "timestamp_ntz" if value.tzinfo is None else "timestamp"
            return f"{kind} '{value.isoformat(sep=' ')}'"
        if isinstance(value, date):
            return f"date '{value.isoformat()}'"
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        return f"'{escaped}'"

    def matches(self, expression: str, pattern: str) -> str:
        return f"{expression} rlike {self.literal(pattern)}"

    def row(self, expressions: Iterable[str]) -> str:
        return f"struct({', '.join(expressions)})"


POSTGRES = PostgresDialect()
SPARK = SparkDialect()
