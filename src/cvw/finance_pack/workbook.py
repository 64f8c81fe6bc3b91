"""Laying the finance pack's sheets out in an Excel workbook with xlsxwriter.

Each sheet has a title, a subtitle, a blank row, then one header row (frozen,
with an autofilter over the data) and the data rows; contribution sheets end
with a totals row. Numbers are written as numbers with accounting, count or
percentage formats, never as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from cvw.finance_pack.sheets import Column, Kind, Sheet

# Excel's built-in accounting format (two decimals, no currency symbol):
# thousands separators, negatives in brackets, zero as a dash.
ACCOUNTING_FORMAT = '_(* #,##0.00_);_(* (#,##0.00);_(* "-"??_);_(@_)'
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0.00%"
MONTH_FORMAT = "yyyy-mm"
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 0, 1, 3
FIRST_DATA_ROW = HEADER_ROW + 1
# Wide enough for a masked name or a two-line header, narrow enough to print.
MAX_COLUMN_PIXELS = 240


@dataclass(frozen=True)
class SheetData:
    """One sheet's rows as the marts returned them, and the line under its title."""

    sheet: Sheet
    rows: list[dict[str, Any]]
    subtitle: str


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.subtitle = workbook.add_format({"italic": True})
        self.header = workbook.add_format(
            {"bold": True, "bottom": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"}
        )
        self._cells: dict[tuple[str, bool], Format] = {}
        self._workbook = workbook

    def cell(self, number_format: str | None, total: bool = False) -> Format:
        key = (number_format or "", total)
        if key not in self._cells:
            properties: dict[str, Any] = {"num_format": number_format} if number_format else {}
            if total:
                properties |= {"bold": True, "top": 1, "bottom": 6}
            self._cells[key] = self._workbook.add_format(properties)
        return self._cells[key]


def _number_format(kind: Kind, unit: str | None = None) -> str | None:
    if kind is Kind.RATE:
        # A rate's unit decides how it reads: 12.00 %, 15.00 CNY, 365 days.
        if unit and unit.startswith("CNY"):
            return ACCOUNTING_FORMAT
        if unit and unit.startswith("days"):
            return COUNT_FORMAT
        return "0.0000%"
    return {
        Kind.MONEY: ACCOUNTING_FORMAT,
        Kind.COUNT: COUNT_FORMAT,
        Kind.SHARE: SHARE_FORMAT,
        Kind.MONTH: MONTH_FORMAT,
    }.get(kind)


def _write_cell(
    worksheet: Worksheet,
    row: int,
    col: int,
    column: Column,
    value: Any,
    formats: _Formats,
    unit: str | None,
) -> None:
    cell_format = formats.cell(_number_format(column.kind, unit))
    if value is None:
        worksheet.write_blank(row, col, None, cell_format)
    elif column.kind is Kind.FLAG:
        worksheet.write_string(row, col, "yes" if value else "no", cell_format)
    elif column.kind is Kind.MONTH:
        worksheet.write_datetime(row, col, value, cell_format)
    elif column.kind is Kind.TEXT:
        worksheet.write_string(row, col, str(value), cell_format)
    else:
        worksheet.write_number(row, col, float(value), cell_format)


def _write_totals(worksheet: Worksheet, data: SheetData, formats: _Formats) -> None:
    """A SUBTOTAL formula per summed column (it follows the autofilter), with the
    exact sum of the marts' rows as its stored value, so a reader without a
    calculation engine sees the same total."""
    row = FIRST_DATA_ROW + len(data.rows)
    worksheet.write_string(row, 0, "Total", formats.cell(None, total=True))
    for col, column in enumerate(data.sheet.columns):
        if col == 0:
            continue
        total_format = formats.cell(_number_format(column.kind), total=True)
        if not column.total:
            worksheet.write_blank(row, col, None, total_format)
            continue
        exact_sum = float(sum((Decimal(r[column.name] or 0) for r in data.rows), Decimal(0)))
        if not data.rows:
            # No range to sum: a formula here would refer to its own cell.
            worksheet.write_number(row, col, exact_sum, total_format)
            continue
        first = xl_rowcol_to_cell(FIRST_DATA_ROW, col)
        last = xl_rowcol_to_cell(row - 1, col)
        worksheet.write_formula(row, col, f"=SUBTOTAL(9,{first}:{last})", total_format, exact_sum)


def _write_sheet(workbook: xlsxwriter.Workbook, data: SheetData, formats: _Formats) -> None:
    sheet = data.sheet
    worksheet = workbook.add_worksheet(sheet.name)
    for col, column in enumerate(sheet.columns):
        worksheet.write_string(HEADER_ROW, col, column.header, formats.header)
    for offset, record in enumerate(data.rows):
        unit = record.get("rate_unit")
        for col, column in enumerate(sheet.columns):
            _write_cell(
                worksheet, FIRST_DATA_ROW + offset, col, column, record[column.name], formats, unit
            )
    last_data_row = FIRST_DATA_ROW + len(data.rows) - 1
    worksheet.autofilter(HEADER_ROW, 0, max(HEADER_ROW, last_data_row), len(sheet.columns) - 1)
    if sheet.has_totals:
        _write_totals(worksheet, data, formats)
    # Fitted to the header and data only: the title and subtitle run across.
    worksheet.autofit(max_width=MAX_COLUMN_PIXELS)
    worksheet.write_string(TITLE_ROW, 0, sheet.title, formats.title)
    worksheet.write_string(SUBTITLE_ROW, 0, data.subtitle, formats.subtitle)
    worksheet.set_row(HEADER_ROW, 32)
    worksheet.freeze_panes(FIRST_DATA_ROW, 0)


def write_workbook(path: Path, sheets: list[SheetData], logical_date: date) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"default_date_format": MONTH_FORMAT})
    workbook.set_properties(
        {
            "title": f"Monthly finance pack, logical date {logical_date.isoformat()}",
            "subject": "Customer contribution (客户贡献度)",
            "category": "finance",
        }
    )
    formats = _Formats(workbook)
    for data in sheets:
        _write_sheet(workbook, data, formats)
    workbook.close()
