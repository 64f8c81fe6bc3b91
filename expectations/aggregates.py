"""Each expectation of a check as one column of a single aggregate query over its rows.

Great Expectations validating a SQL query asset scans the batch once per metric
query, again per expectation for a list of unexpected values, and first runs the
whole query just to learn its column names, with every row buffered in memory
(gigabytes for one day of transactions). Here every expectation becomes an
aggregate column instead: the number of rows that break a row rule, the number of
rows whose key is duplicated, the number of rows a custom SQL check returns, or the
row count a table-level expectation compares. One statement per table computes
them all, with one scan of the table for every row rule. Great Expectations then
validates that one row of numbers, and offending values are fetched by a small
query only for the rules that failed.

The translation keeps each expectation's meaning as Great Expectations defines it
in SQL: column rules ignore NULLs (except the not-null rule), bounds are inclusive
unless strict, and a key is duplicated only among rows with no NULL in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql

if TYPE_CHECKING:
    import psycopg
    from great_expectations.expectations import Expectation

# Offending values quoted per failure line; the full list is a query away.
SAMPLE_VALUES = 3


@dataclass(frozen=True)
class Measure:
    """One expectation, the aggregate that measures it and the GX check on that aggregate.

    ``value`` is an SQL expression evaluated once over the batch (aliased ``batch``);
    it is never NULL, because a NULL would pass any GX column expectation. ``gate``
    is the Great Expectations expectation on column ``column`` of the aggregate row.
    ``per_row`` says the value counts offending rows of the batch (reported as "n of
    m rows") rather than a value observed on the whole batch. ``sample`` returns a
    few offending values and only runs once the rule has failed.
    """

    expectation: Expectation
    column: str
    value: sql.Composable
    gate: Expectation
    per_row: bool = False
    sample: sql.Composable | None = None


@dataclass(frozen=True)
class Aggregate:
    """The measures of one check; ``row_count`` names its batch's row count column."""

    name: str
    row_count: str
    measures: tuple[Measure, ...]
    batch: sql.Composable

    def query(self) -> sql.Composed:
        values = [sql.SQL("count(*)"), *(measure.value for measure in self.measures)]
        return sql.SQL("select {} from {}").format(sql.SQL(", ").join(values), self.batch)

    def measure(self, conn: psycopg.Connection) -> dict[str, int]:
        """The aggregate row of this check, keyed by column name."""
        row = conn.execute(self.query()).fetchone()
        columns = [self.row_count, *(measure.column for measure in self.measures)]
        return dict(zip(columns, row, strict=True))


def aggregate(name: str, query: str, expectations: Sequence[Expectation]) -> Aggregate:
    """Translate the expectations over ``query``'s rows into one aggregate query."""
    batch = sql.SQL("({}) as batch").format(sql.SQL(query))
    measures = tuple(
        _measure(expectation, f"{name} #{index}", batch)
        for index, expectation in enumerate(expectations, start=1)
    )
    return Aggregate(name=name, row_count=f"{name} rows", measures=measures, batch=batch)


def samples(conn: psycopg.Connection, measure: Measure) -> list[Any]:
    """A few offending values of a failed measure; a key of several columns as a tuple."""
    if measure.sample is None:
        return []
    rows = conn.execute(measure.sample).fetchall()
    return [row[0] if len(row) == 1 else row for row in rows]


def _measure(expectation: Expectation, column: str, batch: sql.Composable) -> Measure:
    from great_expectations import expectations as gxe

    _reject_unsupported_options(expectation)
    # A count of offending rows or groups passes at zero.
    no_violations = gxe.ExpectColumnValuesToBeBetween(column=column, max_value=0)

    if isinstance(expectation, gxe.ExpectTableRowCountToEqual):
        value = expectation.value
        gate = gxe.ExpectColumnValuesToBeBetween(column=column, min_value=value, max_value=value)
        return Measure(expectation, column, sql.SQL("count(*)"), gate)
    if isinstance(expectation, gxe.ExpectTableRowCountToBeBetween):
        gate = gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=expectation.min_value,
            max_value=expectation.max_value,
            strict_min=expectation.strict_min,
            strict_max=expectation.strict_max,
        )
        return Measure(expectation, column, sql.SQL("count(*)"), gate)
    if isinstance(expectation, gxe.UnexpectedRowsExpectation):
        # ``{batch}`` is substituted as GX does, and literal braces are written doubled.
        query = sql.SQL(expectation.unexpected_rows_query).format(batch=batch)
        value = sql.SQL("(select count(*) from ({}) as unexpected)").format(query)
        return Measure(expectation, column, value, no_violations)
    if isinstance(
        expectation, gxe.ExpectColumnValuesToBeUnique | gxe.ExpectCompoundColumnsToBeUnique
    ):
        return _duplicates(expectation, column, batch, no_violations)

    target = sql.Identifier(expectation.column)
    violation = _row_violation(expectation, target)
    value = sql.SQL("count(*) filter (where {})").format(violation)
    # The offending value of a not-null rule is NULL, which says nothing.
    sample = (
        None
        if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull)
        else sql.SQL("select {} from {} where {} limit {}").format(
            target, batch, violation, sql.Literal(SAMPLE_VALUES)
        )
    )
    return Measure(expectation, column, value, no_violations, per_row=True, sample=sample)


def _row_violation(expectation: Expectation, target: sql.Identifier) -> sql.Composable:
    """The condition a row breaking a single-column rule meets."""
    from great_expectations import expectations as gxe

    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
        return sql.SQL("{} is null").format(target)
    if isinstance(expectation, gxe.ExpectColumnValuesToNotMatchRegex):
        return sql.SQL("{} ~ {}").format(target, sql.Literal(expectation.regex))
    if isinstance(expectation, gxe.ExpectColumnValuesToBeInSet):
        values = sql.SQL(", ").join(map(sql.Literal, expectation.value_set))
        allowed = sql.SQL("{} in ({})").format(target, values)
    elif isinstance(expectation, gxe.ExpectColumnValuesToBeBetween):
        allowed = _between(expectation, target)
    elif isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex):
        allowed = sql.SQL("{} ~ {}").format(target, sql.Literal(expectation.regex))
    else:
        raise TypeError(f"no aggregate for {type(expectation).__name__}")
    return sql.SQL("{} is not null and not ({})").format(target, allowed)


def _between(expectation: Expectation, target: sql.Identifier) -> sql.Composable:
    bounds = []
    if expectation.min_value is not None:
        operator = ">" if expectation.strict_min else ">="
        bounds.append(_compare(target, operator, expectation.min_value))
    if expectation.max_value is not None:
        operator = "<" if expectation.strict_max else "<="
        bounds.append(_compare(target, operator, expectation.max_value))
    if not bounds:
        raise ValueError(f"{expectation.column}: a range needs min_value or max_value")
    return sql.SQL(" and ").join(bounds)


def _compare(
    target: sql.Identifier, operator: str, bound: float | date | datetime
) -> sql.Composable:
    # The bound is a numeric literal, so a numeric column is compared exactly. GX binds
    # it as float8 instead, which gives the same answer for any value with at most 15
    # significant digits near the bound: all the rates, shares and counts checked here.
    # A date or timestamp bound becomes a typed literal (``'2026-11-01'::date``).
    return sql.SQL("{} {} {}").format(target, sql.SQL(operator), sql.Literal(bound))


def _duplicates(
    expectation: Expectation, column: str, batch: sql.Composable, gate: Expectation
) -> Measure:
    """Rows whose key occurs more than once; rows with a NULL in the key are not compared."""
    from great_expectations import expectations as gxe

    names = (
        [expectation.column]
        if isinstance(expectation, gxe.ExpectColumnValuesToBeUnique)
        else list(expectation.column_list)
    )
    key = sql.SQL(", ").join(map(sql.Identifier, names))
    complete = sql.SQL(" and ").join(
        sql.SQL("{} is not null").format(sql.Identifier(name)) for name in names
    )
    duplicated = sql.SQL("from {} where {} group by {} having count(*) > 1").format(
        batch, complete, key
    )
    value = sql.SQL(
        "(select coalesce(sum(n), 0)::bigint from (select count(*) as n {}) as duplicated)"
    ).format(duplicated)
    sample = sql.SQL("select {} {} limit {}").format(key, duplicated, sql.Literal(SAMPLE_VALUES))
    return Measure(expectation, column, value, gate, per_row=True, sample=sample)


def _reject_unsupported_options(expectation: Expectation) -> None:
    """Fail loudly on options the aggregates do not implement, rather than ignore them."""
    mostly = getattr(expectation, "mostly", 1)
    if mostly != 1 or getattr(expectation, "row_condition", None):
        raise ValueError(
            f"{expectation.expectation_type}: mostly and row_condition are not supported"
        )
