"""Turn loosely typed source records (CSV strings, JSON values) into typed rows.

A record that does not fit its catalog table raises ``RecordError`` naming the
column and the offending value; the caller quarantines it with that reason
instead of loading it or dropping it. Besides the column types, a record must
have no blank key, and, when the caller says when it extracted, no business
date after that moment: a source cannot know of an event that has not happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cvw.catalog import Column, SourceTable

_NUMERIC = re.compile(r"numeric\((\d+),(\d+)\)")

# Columns dating the business event a record describes, per raw table. None of them
# can lie after the moment the record was extracted. Dates that are plans (due dates,
# expected closing, follow-ups due, cost-center versions, curves priced ahead) are
# not listed: they may rightly lie ahead.
BUSINESS_DATES: dict[str, tuple[str, ...]] = {
    "raw_core_banking.customers": ("onboarded_date", "closed_date", "birth_date"),
    "raw_core_banking.accounts": ("opened_date", "closed_date"),
    "raw_core_banking.balances": ("balance_date",),
    "raw_core_banking.transactions": ("posted_at",),
    "raw_core_banking.loans": ("snapshot_date",),
    "raw_core_banking.fee_postings": ("posted_date",),
    "raw_erp.gl_postings": ("posting_date",),
    "raw_erp.invoices": ("issued_date", "paid_date"),
    "raw_crm.contacts": ("created_at",),
    "raw_crm.relationship_managers": ("hired_date",),
    "raw_crm.interactions": ("occurred_at", "follow_up_done_date"),
    "raw_crm.surveys": ("responded_at",),
    "raw_crm.opportunities": ("created_at", "closed_date"),
    "raw_crm.campaign_responses": ("responded_at",),
}

# Columns naming a record of another table (or of the same one in another system).
REFERENCE_COLUMNS = frozenset(
    {
        "customer_id",
        "account_id",
        "product_code",
        "branch_id",
        "cost_center_id",
        "billing_account_id",
        "contact_id",
        "rm_id",
    }
)

# The JSON types a value may arrive as, per column kind. Money comes as decimal text
# (JSON numbers are binary floats) or as a number; dates and timestamps as ISO text.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "date": (str,),
    "timestamptz": (str,),
    "integer": (int,),
    "bigint": (int,),
    "boolean": (bool,),
    "numeric": (str, int, float),
}
_JSON_TYPE_NAMES: dict[type, str] = {
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
}


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


def key_columns(source: SourceTable) -> list[str]:
    """Text columns that identify a record: its business key and its references."""
    return [
        column.name
        for column in source.columns
        if column.type == "text"
        and (column.name in source.primary_key or column.name in REFERENCE_COLUMNS)
    ]


def _json_kind(column: Column) -> str:
    kind = column.type.lower()
    return "numeric" if _NUMERIC.fullmatch(kind.replace(" ", "")) else kind


def _json_type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _check_json_type(column: Column, raw: Any) -> None:
    allowed = _JSON_TYPES[_json_kind(column)]
    # JSON true/false arrive as bool, which Python also counts as an int.
    if (isinstance(raw, bool) and bool not in allowed) or not isinstance(raw, allowed):
        expected = " or ".join(dict.fromkeys(_JSON_TYPE_NAMES[kind] for kind in allowed))
        raise RecordError(
            f"{column.name}: a JSON {_json_type_name(raw)} where a {expected} is expected "
            f"for {column.type} ({raw!r})"
        )


def _check_not_after(column: Column, value: date | datetime, moment: datetime) -> None:
    # A date is compared with the calendar day (UTC) of the extraction.
    limit = moment if isinstance(value, datetime) else moment.astimezone(UTC).date()
    if value > limit:
        raise RecordError(
            f"{column.name}: {value.isoformat()} is after the extraction moment "
            f"{moment.isoformat()}"
        )


def row_converter(
    source: SourceTable, *, from_json: bool = False, not_after: datetime | None = None
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function mapping a record (column name -> value) to a typed tuple in catalog order.

    ``from_json`` requires each value to arrive as the JSON type its column takes
    (CSV values are all text). ``not_after`` is the extraction moment: a business
    date (``BUSINESS_DATES``) after it rejects the record.
    """
    plan = [(column, _converter(column)) for column in source.columns]
    keys = set(key_columns(source))
    dated = set(BUSINESS_DATES.get(source.raw_table, ())) if not_after is not None else set()

    def convert(record: Mapping[str, Any]) -> tuple[Any, ...]:
        values: list[Any] = []
        for column, to_type in plan:
            raw = record.get(column.name)
            if raw is None or (isinstance(raw, str) and raw == ""):
                if not column.nullable:
                    raise RecordError(f"{column.name}: required value is missing")
                values.append(None)
                continue
            if from_json:
                _check_json_type(column, raw)
            try:
                value = to_type(raw)
            except (ValueError, TypeError, InvalidOperation) as error:
                raise RecordError(
                    f"{column.name}: {raw!r} is not a valid {column.type} ({error})"
                ) from error
            if column.name in keys and not value.strip():
                raise RecordError(f"{column.name}: key {raw!r} is blank")
            if column.name in dated and not_after is not None:
                _check_not_after(column, value, not_after)
            values.append(value)
        return tuple(values)

    return convert


def money_columns(source: SourceTable) -> list[str]:
    return [column.name for column in source.columns if column.type == "numeric(18,2)"]
