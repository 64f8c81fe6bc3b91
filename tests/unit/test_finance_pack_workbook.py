"""The finance pack's layout on a hand-made sheet, read back with openpyxl."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from cvw.finance_pack.sheets import Column, Kind, Sheet
from cvw.finance_pack.workbook import SheetData, write_workbook

SHEET = Sheet(
    name="Branch 机构贡献度",
    title="Contribution by branch (机构贡献度)",
    query="",
    columns=(
        Column("branch_id", "Branch", Kind.TEXT),
        Column("customer_count", "Customers", Kind.COUNT, total=True),
        Column("net_contribution", "Net contribution", Kind.MONEY, total=True),
        Column("raroc", "RAROC", Kind.SHARE),
        Column("month", "Month", Kind.MONTH),
        Column("is_flagged", "Flagged", Kind.FLAG),
    ),
    has_totals=True,
)
ROWS = [
    {
        "branch_id": "BR001",
        "customer_count": 3,
        "net_contribution": Decimal("0.10"),
        "raroc": Decimal("0.125"),
        "month": date(2026, 10, 1),
        "is_flagged": True,
    },
    {
        "branch_id": "BR002",
        "customer_count": 2,
        "net_contribution": Decimal("0.20"),
        "raroc": None,
        "month": date(2026, 10, 1),
        "is_flagged": False,
    },
    {
        "branch_id": None,
        "customer_count": 1,
        "net_contribution": Decimal("-1234.56"),
        "raroc": None,
        "month": date(2026, 10, 1),
        "is_flagged": False,
    },
]


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "pack.xlsx"
    write_workbook(path, [SheetData(SHEET, ROWS, "Reporting month 2026-10")], date(2026, 11, 1))
    return openpyxl.load_workbook(path, data_only=True)["Branch 机构贡献度"]


def test_title_subtitle_and_header_rows(sheet):
    assert sheet["A1"].value == "Contribution by branch (机构贡献度)"
    assert sheet["A2"].value == "Reporting month 2026-10"
    assert [cell.value for cell in sheet[4]] == [
        "Branch",
        "Customers",
        "Net contribution",
        "RAROC",
        "Month",
        "Flagged",
    ]
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:F7"


def test_values_keep_their_types(sheet):
    assert [cell.value for cell in sheet["C"][4:7]] == [0.1, 0.2, -1234.56]
    assert sheet["D5"].value == 0.125 and sheet["D5"].number_format == "0.00%"
    assert sheet["D6"].value is None
    assert sheet["A7"].value is None
    assert sheet["E5"].value.date() == date(2026, 10, 1)
    assert [sheet["F5"].value, sheet["F6"].value] == ["yes", "no"]
    assert sheet["C5"].number_format.startswith("_(* #,##0.00_)")


def test_totals_row_holds_the_exact_sums(sheet):
    assert sheet["A8"].value == "Total"
    assert sheet["B8"].value == 6
    # 0.10 + 0.20 - 1234.56, summed in decimal: no binary rounding residue.
    assert sheet["C8"].value == -1234.26
    assert sheet["D8"].value is None


def test_an_empty_sheet_still_has_its_header_and_a_zero_total(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_workbook(path, [SheetData(SHEET, [], "nothing")], date(2026, 11, 1))
    sheet = openpyxl.load_workbook(path, data_only=True).active
    assert sheet["A4"].value == "Branch"
    assert sheet["A5"].value == "Total"
    assert sheet["C5"].value == 0
