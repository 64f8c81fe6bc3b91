"""The monthly finance pack the shared run wrote after its publish.

The workbook is read back with openpyxl (not the library that wrote it) and
every figure is tied to the published marts, queried here as the
administrator with plain SQL and pandas, not through the pack's own queries.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from psycopg import errors

from cvw.config import Settings
from cvw.finance_pack import write_finance_pack
from cvw.roles import TRANSFORMER
from tests.integration.frames import DBT_PROJECT_DIR, dbt_vars, frame, scalar

from .conftest import MOMENT

pytestmark = pytest.mark.integration

HEADER_ROW = 4  # 1-based, as openpyxl counts
FIRST_DATA_ROW = HEADER_ROW + 1
CENT = Decimal("0.01")
# Excel's accounting format with two decimals (built-in 43, with or without escapes).
ACCOUNTING = re.compile(r'^_\(\* #,##0\.00_\);_\(\* \\?\(#,##0\.00\\?\);_\(\* "-"\?\?_\);_\(@_\)$')
NUMBER_AS_TEXT = re.compile(r"^\s*-?[\d,]+(\.\d+)?%?\s*$")

MONEY_HEADERS = {
    "Deposit NII 存款贡献": "deposit_nii",
    "Loan NII 贷款贡献": "loan_nii",
    "Fee income 中间业务收入": "fee_income",
    "Gross contribution": "gross_contribution",
    "Cost to serve 服务成本": "cost_to_serve",
    "Expected loss": "expected_loss",
    "Capital charge 经济资本占用": "capital_charge",
    "Net contribution (EVA) 综合贡献度": "net_contribution",
    "Gross contribution YTD": "gross_contribution_ytd",
    "Cost to serve YTD": "cost_to_serve_ytd",
    "Expected loss YTD": "expected_loss_ytd",
    "Capital charge YTD": "capital_charge_ytd",
    "Net contribution (EVA) YTD": "net_contribution_ytd",
}
# Sheet, the rollup mart it shows, and the header of its key column.
CONTRIBUTION_SHEETS = {
    "Branch 机构贡献度": ("contribution_by_branch_monthly", "Branch"),
    "RM 客户经理贡献度": ("contribution_by_rm_monthly", "Relationship manager"),
    "Segment 客群贡献度": ("contribution_by_segment_monthly", "Segment"),
    "Product 产品贡献度": ("contribution_by_product_family_monthly", "Product family"),
}
# Each customer falls in exactly one branch, manager and segment, so these
# sheets' totals must also equal the customer mart's month.
CUSTOMER_PARTITIONS = ("Branch 机构贡献度", "RM 客户经理贡献度", "Segment 客群贡献度")


def _pack_path(settings: Settings) -> Path:
    return settings.state_dir / "finance_packs" / f"finance_pack_{MOMENT.date().isoformat()}.xlsx"


@pytest.fixture(scope="module")
def pack_path(first_run, test_settings) -> Path:
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"
    assert first_run.task_states.get("write_finance_pack") == "success"
    return _pack_path(test_settings)


@pytest.fixture(scope="module")
def pack(pack_path) -> openpyxl.Workbook:
    # data_only: the values stored with each formula, what a reader without a
    # calculation engine (or pandas) sees.
    return openpyxl.load_workbook(pack_path, data_only=True)


@pytest.fixture(scope="module")
def month(pack_path, test_settings) -> date:
    return scalar(
        test_settings.warehouse_url,
        "select max(month) from marts.customer_contribution_monthly",
    )


def _table(sheet: Worksheet) -> tuple[list[str], list[dict], dict | None]:
    """Headers, data rows and the totals row (None without one) of a pack sheet."""
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    rows, totals = [], None
    for values in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True):
        record = dict(zip(headers, values, strict=True))
        if values[0] == "Total":
            totals = record
        elif any(value is not None for value in values):
            rows.append(record)
    return headers, rows, totals


def _cents(value: float) -> Decimal:
    assert isinstance(value, int | float), f"{value!r} is not a number"
    return Decimal(str(value)).quantize(CENT)


def test_pack_holds_every_sheet_in_order(pack):
    assert pack.sheetnames == [
        "Branch 机构贡献度",
        "RM 客户经理贡献度",
        "Segment 客群贡献度",
        "Product 产品贡献度",
        "GL 总账核对",
        "Top customers 重点客户",
        "Concentration 二八原则",
        "Rules and rates 规则与费率",
    ]


@pytest.mark.parametrize("sheet_name", list(CONTRIBUTION_SHEETS))
def test_contribution_sheet_rows_and_totals_tie_to_the_mart(pack, month, test_settings, sheet_name):
    mart, _ = CONTRIBUTION_SHEETS[sheet_name]
    expected = frame(
        test_settings.warehouse_url, f"select * from marts.{mart} where month = %s", (month,)
    )
    headers, rows, totals = _table(pack[sheet_name])
    assert len(rows) == len(expected) > 0
    assert totals is not None
    for header, column in MONEY_HEADERS.items():
        assert header in headers
        assert sorted(_cents(row[header]) for row in rows) == sorted(expected[column])
        assert _cents(totals[header]) == sum(expected[column]), header
    rarocs = sorted(float(value) for value in expected["raroc"].dropna())
    sheet_rarocs = [row["RAROC (annualised)"] for row in rows]
    assert sorted(value for value in sheet_rarocs if value is not None) == pytest.approx(rarocs)


@pytest.mark.parametrize("sheet_name", CUSTOMER_PARTITIONS)
def test_partition_totals_equal_the_customer_mart(pack, month, test_settings, sheet_name):
    customers = frame(
        test_settings.warehouse_url,
        "select * from marts.customer_contribution_monthly where month = %s",
        (month,),
    )
    _, _, totals = _table(pack[sheet_name])
    assert totals["Customers"] == len(customers)
    for header, column in MONEY_HEADERS.items():
        if not column.endswith("_ytd"):
            assert _cents(totals[header]) == customers[column].sum(), header
    year_to_date = frame(
        test_settings.warehouse_url,
        "select sum(net_contribution) as net from marts.customer_contribution_monthly"
        " where month between %s and %s",
        (month.replace(month=1), month),
    )
    assert _cents(totals["Net contribution (EVA) YTD"]) == year_to_date["net"][0]


def test_product_family_sheet_leaves_overlapping_customer_counts_untotalled(pack):
    _, rows, totals = _table(pack["Product 产品贡献度"])
    assert all(isinstance(row["Customers"], int | float) for row in rows)
    assert totals["Customers"] is None


def test_totals_are_subtotal_formulas_over_the_data_rows(pack_path):
    formulas = openpyxl.load_workbook(pack_path)  # formulas, not their values
    for sheet_name in CONTRIBUTION_SHEETS:
        sheet = formulas[sheet_name]
        headers = [cell.value for cell in sheet[HEADER_ROW]]
        last = sheet.max_row
        assert sheet.cell(last, 1).value == "Total"
        net = headers.index("Net contribution (EVA) 综合贡献度") + 1
        letter = openpyxl.utils.get_column_letter(net)
        assert sheet.cell(last, net).value == (
            f"=SUBTOTAL(9,{letter}{FIRST_DATA_ROW}:{letter}{last - 1})"
        )


def test_numbers_are_numbers_with_accounting_formats(pack):
    for sheet in pack.worksheets:
        headers = [cell.value for cell in sheet[HEADER_ROW]]
        for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
            for header, cell in zip(headers, row, strict=True):
                if isinstance(cell.value, str):
                    assert not NUMBER_AS_TEXT.match(cell.value), f"{sheet.title}!{cell.coordinate}"
                if header in MONEY_HEADERS and cell.value is not None:
                    assert isinstance(cell.value, int | float), f"{sheet.title}!{cell.coordinate}"
                    assert ACCOUNTING.match(cell.number_format), (
                        f"{sheet.title}!{cell.coordinate}: {cell.number_format}"
                    )


def test_header_rows_are_frozen_and_filtered(pack):
    for sheet in pack.worksheets:
        assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}", sheet.title
        assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:"), sheet.title
        assert all(cell.value for cell in sheet[HEADER_ROW]), sheet.title
        # Fitted, not Excel's default 8.43 characters for every column.
        widths = {sheet.column_dimensions[letter].width for letter in "ABC"}
        assert widths != {None} and max(widths) > 9, sheet.title


def test_gl_sheet_shows_the_reconciliation_with_its_unallocated_lines(pack, month, test_settings):
    expected = frame(
        test_settings.warehouse_url,
        "select * from marts.contribution_gl_reconciliation where month between %s and %s"
        " order by month, gl_line",
        (month.replace(month=1), month),
    )
    _, rows, totals = _table(pack["GL 总账核对"])
    assert totals is None
    assert [(row["Month"].date(), row["GL line"]) for row in rows] == list(
        zip(expected["month"], expected["gl_line"], strict=True)
    )
    columns = {
        "General ledger": "gl_amount",
        "Allocated to customers": "allocated_amount",
        "Unallocated: treasury, head office": "unallocated_non_branch_amount",
        "Unallocated: branch residual": "unallocated_branch_residual_amount",
        "Unallocated total": "unallocated_amount",
        "Difference": "difference",
    }
    for header, column in columns.items():
        assert [_cents(row[header]) for row in rows] == list(expected[column]), header
    assert any(_cents(row["Unallocated total"]) != 0 for row in rows)


def test_top_customers_are_ranked_by_net_contribution_with_masked_names(pack, month, test_settings):
    url = test_settings.warehouse_url
    contribution = frame(
        url,
        "select customer_id, net_contribution from marts.customer_contribution_monthly"
        " where month = %s",
        (month,),
    )
    top = contribution.sort_values(
        ["net_contribution", "customer_id"], ascending=[False, True]
    ).head(50)
    names = frame(
        url, "select customer_id, full_name, full_name_masked from marts.customer_360"
    ).set_index("customer_id")
    _, rows, totals = _table(pack["Top customers 重点客户"])
    assert [row["Customer"] for row in rows] == list(top["customer_id"])
    assert [row["Rank"] for row in rows] == list(range(1, len(top) + 1))
    assert [_cents(row["Net contribution (EVA) 综合贡献度"]) for row in rows] == list(
        top["net_contribution"]
    )
    assert _cents(totals["Net contribution (EVA) 综合贡献度"]) == top["net_contribution"].sum()
    for row in rows:
        assert row["Name (masked)"] == names.loc[row["Customer"], "full_name_masked"]
        assert row["Name (masked)"] != names.loc[row["Customer"], "full_name"]
    clear_names = set(names["full_name"])
    for sheet in pack.worksheets:
        for values in sheet.iter_rows(values_only=True):
            assert not clear_names.intersection(values), sheet.title


def test_concentration_sheet_matches_the_mart(pack, month, test_settings):
    expected = frame(
        test_settings.warehouse_url,
        "select * from marts.contribution_concentration where month <= %s order by month desc",
        (month,),
    )
    _, rows, _ = _table(pack["Concentration 二八原则"])
    assert [row["Month"].date() for row in rows] == list(expected["month"])
    assert [row["Top 4% share"] for row in rows] == pytest.approx(
        [float(value) for value in expected["top_4pct_share"]], abs=1e-12
    )
    assert [row["Above cap"] for row in rows] == [
        "yes" if flag else "no" for flag in expected["is_above_concentration_cap"]
    ]
    assert rows[0]["Largest customer"] == expected["largest_customer_id"][0]


def test_rules_sheet_states_the_rates_the_month_used(pack, month, test_settings):
    sheet = pack["Rules and rates 规则与费率"]
    _, rows, _ = _table(sheet)
    by_key = {(row["Group"], row["Applies to"]): row for row in rows}
    variables = dbt_vars()
    hurdle = by_key[("contribution_rule", "contribution_hurdle_rate")]
    assert hurdle["Value"] == variables["contribution_hurdle_rate"]
    assert (
        by_key[("contribution_rule", "contribution_day_count_basis")]["Value"]
        == (variables["contribution_day_count_basis"])
    )
    subtitle = sheet["A2"].value
    assert f"FTP curve month {month:%Y-%m}" in subtitle
    assert f"hurdle rate {variables['contribution_hurdle_rate']:.2%}" in subtitle
    url = test_settings.warehouse_url
    # The ERP landings themselves, the latest landed version of each point.
    curve = frame(
        url,
        "select distinct on (term_months) term_months, ftp_rate from raw_erp.ftp_curve"
        " where cast(curve_date as date) = %s order by term_months, _loaded_at desc",
        (month,),
    )
    assert len(curve) > 0
    for term, rate in zip(curve["term_months"], curve["ftp_rate"], strict=True):
        row = by_key[("ftp_rate", f"term_months {term}")]
        assert Decimal(str(row["Value"])) == Decimal(str(rate))
        assert row["Source month"].date() == month
    unit_costs = frame(
        url,
        "select distinct on (activity) activity, unit_cost from raw_erp.unit_costs"
        " where period = %s order by activity, _loaded_at desc",
        (f"{month:%Y-%m}",),
    )
    priced = set(pd.read_csv(_seed_file("finance/cost_to_serve_activities.csv"))["activity"])
    for activity, cost in zip(unit_costs["activity"], unit_costs["unit_cost"], strict=True):
        if activity in priced:
            assert _cents(by_key[("unit_cost", activity)]["Value"]) == Decimal(str(cost))
        else:
            assert ("unit_cost", activity) not in by_key
    ratios = pd.read_csv(_seed_file("finance/economic_capital_ratios_by_risk_rating.csv"))
    for rating, ratio in zip(ratios["risk_rating"], ratios["capital_ratio"], strict=True):
        assert by_key[("capital_ratio", f"risk_rating {rating}")]["Value"] == pytest.approx(ratio)


def _seed_file(relative: str) -> Path:
    return DBT_PROJECT_DIR / "seeds" / relative


def _values(workbook: openpyxl.Workbook) -> dict[str, list[tuple]]:
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def _drafts(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_rewriting_a_date_replaces_the_pack_whole(pack, pack_path, test_settings):
    before = pack_path.stat()
    # The BI reader's own login is enough to write the pack.
    reader_url = test_settings.component_url(test_settings.marts_reader_role)
    written = write_finance_pack(reader_url, pack_path, MOMENT.date())
    assert written == pack_path
    # A new file renamed over the old one, not the old one rewritten in place.
    assert pack_path.stat().st_ino != before.st_ino
    assert _drafts(pack_path.parent) == []
    assert _values(openpyxl.load_workbook(pack_path, data_only=True)) == _values(pack)


def test_a_role_that_cannot_read_the_marts_keeps_the_last_pack(pack_path, test_settings):
    before = pack_path.read_bytes()
    # The transformer builds the marts but may not read the published ones.
    transformer_url = test_settings.component_url(TRANSFORMER)
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        write_finance_pack(transformer_url, pack_path, MOMENT.date())
    assert pack_path.read_bytes() == before
    assert _drafts(pack_path.parent) == []
