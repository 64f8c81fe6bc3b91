"""Turn loosely typed source records (CSV strings, JSON values) into typed rows.

A record that does not fit its catalog table raises ``RecordError`` naming the
column and the offending value; the caller quarantines it with that reason
instead of loading it or dropping it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cvw.catalog import Column, SourceTable

_NUMERIC = re.compile(r"numeric\((\d+),(\d+)\)")


class RecordError(ValueError):
    """A source record that cannot be loaded as its catalog table says."""


def _to_date(value: Any) -> date:
    return date.fromisoformat(str(value))


def _to_timestamp(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("not an integer")
    return int(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "t", "1", "yes"}:
        return True
    if text in {"false", "f", "0", "no"}:
        return False
    raise ValueError("not a boolean")


def _numeric(precision: int, scale: int) -> Callable[[Any], Decimal]:
    limit = Decimal(10) ** (precision - scale)

    def convert(value: Any) -> Decimal:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise ValueError("not a finite number")
        if number.as_tuple().exponent < -scale:  # type: ignore[operator]
            raise ValueError(f"more than {scale} decimal places")
        if abs(number) >= limit:
            raise ValueError(f"does not fit numeric({precision},{scale})")
        return number

    return convert


def _converter(column: Column) -> Callable[[Any], Any]:
    kind = column.type.lower()
    if kind == "text":
        return str
    if kind == "date":
        return _to_date
    if kind == "timestamptz":
        return _to_timestamp
    if kind in {"integer", "bigint"}:
        return _to_int
    if kind == "boolean":
        return _to_bool
    match = _NUMERIC.fullmatch(kind.replace(" ", ""))
    if match:
        return _numeric(int(match.group(1)), int(match.group(2)))
    raise NotImplementedError(f"no converter for column type {column.type}")


def row_converter(source: SourceTable) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function mapping a record (column name -> value) to a typed tuple in catalog order."""
    plan = [(column, _converter(column)) for column in source.columns]

    def convert(record: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for column, to_type in plan:
            raw = record.get(column.name)
            if raw is None or (isinstance(raw, str) and raw == ""):
                if not column.nullable:
                    raise RecordError(f"{column.name}: required value is missing")
                values.append(None)
                continue
            try:
                values.append(to_type(raw))
            except (ValueError, TypeError, InvalidOperation) as error:
                raise RecordError(
                    f"{column.name}: {raw!r} is not a valid {column.type} ({error})"
                ) from error
        return tuple(values)

    return convert


def money_columns(source: SourceTable) -> list[str]:
    return [column.name for column in source.columns if column.type == "numeric(18,2)"]
