from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cvw.catalog import table
from cvw.records import RecordError, money_columns, row_converter

GL = table("erp", "gl_postings")


def _gl_record(**overrides):
    record = {
        "posting_id": "GL-1",
        "posting_date": "2026-10-31",
        "period": "2026-10",
        "gl_account": "6011",
        "gl_line": "interest_income",
        "cost_center_id": "CC-BR001",
        "amount": "1234.50",
        "currency": "CNY",
        "description": "",
    }
    return record | overrides


def test_valid_csv_record_is_typed_in_catalog_order():
    row = row_converter(GL)(_gl_record())
    assert row == (
        "GL-1", date(2026, 10, 31), "2026-10", "6011", "interest_income", "CC-BR001",
        Decimal("1234.50"), "CNY", None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"posting_date": "2026-13-45"}, "posting_date: '2026-13-45' is not a valid date"),
        ({"amount": "12.345"}, "amount: '12.345' is not a valid numeric(18,2)"),
        ({"amount": "abc"}, "amount: 'abc' is not a valid numeric(18,2)"),
        ({"posting_id": ""}, "posting_id: required value is missing"),
    ],
)
def test_invalid_values_name_the_column_and_value(overrides, message):
    with pytest.raises(RecordError) as error:
        row_converter(GL)(_gl_record(**overrides))
    assert str(error.value).startswith(message)


def test_json_record_timestamps_need_a_time_zone():
    convert = row_converter(table("crm", "surveys"))
    record = {
        "survey_id": "S1",
        "contact_id": "K1",
        "score": 7,
        "responded_at": "2026-10-01T10:00:00Z",
        "updated_at": "2026-10-01T10:00:00",
    }
    with pytest.raises(RecordError, match="updated_at"):
        convert(record)
    row = convert(record | {"updated_at": "2026-10-01T10:00:00+00:00"})
    assert row[3] == datetime(2026, 10, 1, 10, tzinfo=UTC)


def test_money_columns_are_the_two_decimal_numerics():
    assert money_columns(table("erp", "invoices")) == ["amount", "paid_amount"]
