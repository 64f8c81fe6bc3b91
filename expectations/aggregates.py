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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from expectations.dialect import Dialect

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

# Offending values quoted per failure line; the full list is a query away.
SAMPLE_VALUES = 3


class Warehouse(Protocol):
    """Where the aggregate queries run, written in the warehouse's SQL dialect."""

    @property
    def dialect(self) -> Dialect: ...

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        """The rows ``query`` returns."""
        ...


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
    value: str
    gate: Expectation
    per_row: bool = False
    sample: str | None = None


@dataclass(frozen=True)
class Aggregate:
    """The measures of one check; ``row_count`` names its batch's row count column."""

    name: str
    row_count: str
    measures: tuple[Measure, ...]
    batch: str

    def query(self) -> str:
        values = ["count(*)", *(measure.value for measure in self.measures)]
        return f"select {', '.join(values)} from {self.batch}"

    def measure(self, warehouse: Warehouse) -> dict[str, int]:
        """The aggregate row of this check, keyed by column name."""
        (row,) = warehouse.fetch(self.query())
        columns = [self.row_count, *(measure.column for measure in self.measures)]
        return dict(zip(columns, row, strict=True))


def aggregate(
    name: str, query: str, expectations: Sequence[Expectation], dialect: Dialect
) -> Aggregate:
    """Translate the expectations over ``query``'s rows into one aggregate query."""
    batch = f"({query}) as batch"
    # Aggregate columns are named after the check but hold only letters, digits and
    # underscores: GX on Spark reads a dot in a column name as a struct field.
    stem = re.sub(r"[^a-z0-9_]+", "_", name.lower())
    measures = tuple(
        _measure(expectation, f"{stem}__{index}", batch, dialect)
        for index, expectation in enumerate(expectations, start=1)
    )
    return Aggregate(name=name, row_count=f"{stem}__rows", measures=measures, batch=batch)


def samples(warehouse: Warehouse, measure: Measure) -> list[Any]:
    """A few offending values of a failed measure; a key of several columns as a tuple."""
    if measure.sample is None:
        return []
    rows = warehouse.fetch(measure.sample)
    return [row[0] if len(row) == 1 else row for row in rows]


def _measure(expectation: Expectation, column: str, batch: str, dialect: Dialect) -> Measure:
    from great_expectations import expectations as gxe

    _reject_unsupported_options(expectation)
    # A count of offending rows or groups passes at zero.
    no_violations = gxe.ExpectColumnValuesToBeBetween(column=column, max_value=0)

    if isinstance(expectation, gxe.ExpectTableRowCountToEqual):
        value = expectation.value
        gate = gxe.ExpectColumnValuesToBeBetween(column=column, min_value=value, max_value=value)
        return Measure(expectation, column, "count(*)", gate)
    if isinstance(expectation, gxe.ExpectTableRowCountToBeBetween):
        gate = gxe.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=expectation.min_value,
            max_value=expectation.max_value,
            strict_min=expectation.strict_min,
            strict_max=expectation.strict_max,
        )
        return Measure(expectation, column, "count(*)", gate)
    if isinstance(expectation, gxe.UnexpectedRowsExpectation):
        # ``{batch}`` is substituted as GX does, and literal braces are written doubled.
        query = expectation.unexpected_rows_query.format(batch=batch)
        value = f"(select count(*) from ({query}) as unexpected)"
        return Measure(expectation, column, value, no_violations)
    if isinstance(
        expectation, gxe.ExpectColumnValuesToBeUnique | gxe.ExpectCompoundColumnsToBeUnique
    ):
        return _duplicates(expectation, column, batch, no_violations, dialect)

    target = dialect.identifier(expectation.column)
    violation = _row_violation(expectation, target, dialect)
    value = f"count(*) filter (where {violation})"
    # The offending value of a not-null rule is NULL, which says nothing.
    sample = (
        None
        if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull)
        else f"select {target} from {batch} where {violation} limit {SAMPLE_VALUES}"
    )
    return Measure(expectation, column, value, no_violations, per_row=True, sample=sample)


def _row_violation(expectation: Expectation, target: str, dialect: Dialect) -> str:
    """The condition a row breaking a single-column rule meets."""
    from great_expectations import expectations as gxe

    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
        return f"{target} is null"
    if isinstance(expectation, gxe.ExpectColumnValuesToNotMatchRegex):
        return dialect.matches(target, expectation.regex)
    if isinstance(expectation, gxe.ExpectColumnValuesToBeInSet):
        values = ", ".join(map(dialect.literal, expectation.value_set))
        allowed = f"{target} in ({values})"
    elif isinstance(expectation, gxe.ExpectColumnValuesToBeBetween):
        allowed = _between(expectation, target, dialect)
    elif isinstance(expectation, gxe.ExpectColumnValuesToMatchRegex):
        allowed = dialect.matches(target, expectation.regex)
    else:
        raise TypeError(f"no aggregate for {type(expectation).__name__}")
    return f"{target} is not null and not ({allowed})"


def _between(expectation: Expectation, target: str, dialect: Dialect) -> str:
    bounds = []
    if expectation.min_value is not None:
        operator = ">" if expectation.strict_min else ">="
        bounds.append(_compare(target, operator, expectation.min_value, dialect))
    if expectation.max_value is not None:
        operator = "<" if expectation.strict_max else "<="
        bounds.append(_compare(target, operator, expectation.max_value, dialect))
    if not bounds:
        raise ValueError(f"{expectation.column}: a range needs min_value or max_value")
    return " and ".join(bounds)


def _compare(target: str, operator: str, bound: float | date | datetime, dialect: Dialect) -> str:
    # The bound is a numeric literal, so a numeric column is compared exactly. GX binds
    # it as float8 instead, which gives the same answer for any value with at most 15
    # significant digits near the bound: all the rates, shares and counts checked here.
    # A date or timestamp bound becomes a typed literal (``'2026-11-01'::date``).
    return f"{target} {operator} {dialect.literal(bound)}"


def _duplicates(
    expectation: Expectation, column: str, batch: str, gate: Expectation, dialect: Dialect
) -> Measure:
    """Rows whose key occurs more than once; rows with a NULL in the key are not compared."""
    from great_expectations import expectations as gxe

    names = (
        [expectation.column]
        if isinstance(expectation, gxe.ExpectColumnValuesToBeUnique)
        else list(expectation.column_list)
    )
    key = ", ".join(map(dialect.identifier, names))
    complete = " and ".join(f"{dialect.identifier(name)} is not null" for name in names)
    duplicated = f"from {batch} where {complete} group by {key} having count(*) > 1"
    value = (
        "(select coalesce(sum(n), 0)::bigint "
        f"from (select count(*) as n {duplicated}) as duplicated)"
    )
    sample = f"select {key} {duplicated} limit {SAMPLE_VALUES}"
    return Measure(expectation, column, value, gate, per_row=True, sample=sample)


def _reject_unsupported_options(expectation: Expectation) -> None:
    """Fail loudly on options the aggregates do not implement, rather than ignore them."""
    mostly = getattr(expectation, "mostly", 1)
    if mostly != 1 or getattr(expectation, "row_condition", None):
        raise ValueError(
            f"{expectation.expectation_type}: mostly and row_condition are not supported"
        )
