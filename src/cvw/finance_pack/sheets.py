"""What each sheet of the monthly finance pack shows: its query on the published marts
and its columns.

Every query reads schema ``marts`` only (the BI reader's grants) and takes the
reporting month (``%(month)s``) and the first month of its year
(``%(year_start)s``). Customers appear by id and masked name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How a column's values are written and formatted."""

    TEXT = "text"
    MONTH = "month"
    COUNT = "count"
    MONEY = "money"
    SHARE = "share"
    FLAG = "flag"
    # A rate whose unit differs per row (column rate_unit of contribution_rates_monthly).
    RATE = "rate"


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    kind: Kind
    # Summed in the totals row; only columns whose rows add up (a customer
    # counts in one branch, but in every product family it holds).
    total: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    query: str
    columns: tuple[Column, ...]
    has_totals: bool = False


def _money(name: str, header: str) -> Column:
    return Column(name, header, Kind.MONEY, total=True)


CONTRIBUTION_COLUMNS = (
    _money("deposit_nii", "Deposit NII 存款贡献"),
    _money("loan_nii", "Loan NII 贷款贡献"),
    _money("fee_income", "Fee income 中间业务收入"),
    _money("gross_contribution", "Gross contribution"),
    _money("cost_to_serve", "Cost to serve 服务成本"),
    _money("expected_loss", "Expected loss"),
    _money("capital_charge", "Capital charge 经济资本占用"),
    _money("net_contribution", "Net contribution (EVA) 综合贡献度"),
    Column("raroc", "RAROC (annualised)", Kind.SHARE),
    _money("gross_contribution_ytd", "Gross contribution YTD"),
    _money("cost_to_serve_ytd", "Cost to serve YTD"),
    _money("expected_loss_ytd", "Expected loss YTD"),
    _money("capital_charge_ytd", "Capital charge YTD"),
    _money("net_contribution_ytd", "Net contribution (EVA) YTD"),
)
_CONTRIBUTION_SELECT = ", ".join(f"rollup.{column.name}" for column in CONTRIBUTION_COLUMNS)

CONTRIBUTION_BY_BRANCH = Sheet(
    name="Branch 机构贡献度",
    title="Contribution by branch (机构贡献度)",
    query=(
        "select rollup.branch_id, branch.branch_name, branch.region, rollup.customer_count,"
        f" {_CONTRIBUTION_SELECT}"
        " from marts.contribution_by_branch_monthly as rollup"
        " left join marts.dim_branch as branch on rollup.branch_id = branch.branch_id"
        " where rollup.month = %(month)s order by rollup.branch_id nulls last"
    ),
    columns=(
        Column("branch_id", "Branch", Kind.TEXT),
        Column("branch_name", "Branch name", Kind.TEXT),
        Column("region", "Region", Kind.TEXT),
        Column("customer_count", "Customers", Kind.COUNT, total=True),
        *CONTRIBUTION_COLUMNS,
    ),
    has_totals=True,
)

CONTRIBUTION_BY_RM = Sheet(
    name="RM 客户经理贡献度",
    title="Contribution by relationship manager (客户经理贡献度)",
    query=(
        "select rollup.rm_id, manager.rm_name, rollup.team_name, rollup.customer_count,"
        f" {_CONTRIBUTION_SELECT}"
        " from marts.contribution_by_rm_monthly as rollup"
        " left join marts.dim_relationship_manager as manager on rollup.rm_id = manager.rm_id"
        " where rollup.month = %(month)s order by rollup.rm_id nulls last"
    ),
    columns=(
        Column("rm_id", "Relationship manager", Kind.TEXT),
        Column("rm_name", "RM name", Kind.TEXT),
        Column("team_name", "Team", Kind.TEXT),
        Column("customer_count", "Customers", Kind.COUNT, total=True),
        *CONTRIBUTION_COLUMNS,
    ),
    has_totals=True,
)

CONTRIBUTION_BY_SEGMENT = Sheet(
    name="Segment 客群贡献度",
    title="Contribution by customer segment (客群贡献度)",
    query=(
        "select rollup.customer_type, rollup.segment, rollup.customer_count,"
        f" {_CONTRIBUTION_SELECT}"
        " from marts.contribution_by_segment_monthly as rollup"
        " where rollup.month = %(month)s"
        " order by rollup.customer_type nulls last, rollup.segment nulls last"
    ),
    columns=(
        Column("customer_type", "Customer type", Kind.TEXT),
        Column("segment", "Segment", Kind.TEXT),
        Column("customer_count", "Customers", Kind.COUNT, total=True),
        *CONTRIBUTION_COLUMNS,
    ),
    has_totals=True,
)

CONTRIBUTION_BY_PRODUCT_FAMILY = Sheet(
    name="Product 产品贡献度",
    title="Contribution by product family (产品贡献度)",
    query=(
        f"select rollup.product_family, rollup.customer_count, {_CONTRIBUTION_SELECT}"
        " from marts.contribution_by_product_family_monthly as rollup"
        " where rollup.month = %(month)s order by rollup.product_family nulls last"
    ),
    columns=(
        Column("product_family", "Product family", Kind.TEXT),
        # A customer holding several families counts in each: no total.
        Column("customer_count", "Customers", Kind.COUNT),
        *CONTRIBUTION_COLUMNS,
    ),
    has_totals=True,
)

GL_RECONCILIATION = Sheet(
    name="GL 总账核对",
    title="Reconciliation to the general ledger (总账核对), year to date",
    query=(
        "select month, gl_line, gl_amount, gl_branch_amount, allocated_amount,"
        " unallocated_non_branch_amount, unallocated_branch_residual_amount,"
        " unallocated_amount, difference"
        " from marts.contribution_gl_reconciliation"
        " where month between %(year_start)s and %(month)s order by month, gl_line"
    ),
    columns=(
        Column("month", "Month", Kind.MONTH),
        Column("gl_line", "GL line", Kind.TEXT),
        Column("gl_amount", "General ledger", Kind.MONEY),
        Column("gl_branch_amount", "of which branches", Kind.MONEY),
        Column("allocated_amount", "Allocated to customers", Kind.MONEY),
        Column("unallocated_non_branch_amount", "Unallocated: treasury, head office", Kind.MONEY),
        Column("unallocated_branch_residual_amount", "Unallocated: branch residual", Kind.MONEY),
        Column("unallocated_amount", "Unallocated total", Kind.MONEY),
        Column("difference", "Difference", Kind.MONEY),
    ),
)

TOP_CUSTOMER_COUNT = 50

TOP_CUSTOMERS = Sheet(
    name="Top customers 重点客户",
    title=f"Top {TOP_CUSTOMER_COUNT} customers by net contribution (重点客户贡献排名)",
    query=(
        "with year_to_date as ("
        " select customer_id, sum(net_contribution) as net_contribution_ytd"
        " from marts.customer_contribution_monthly"
        " where month between %(year_start)s and %(month)s group by customer_id)"
        " select row_number() over (order by contribution.net_contribution desc,"
        " contribution.customer_id) as rank, contribution.customer_id,"
        " customer.full_name_masked, customer.customer_type, customer.segment, tier.tier,"
        " contribution.gross_contribution, contribution.cost_to_serve,"
        " contribution.expected_loss, contribution.capital_charge,"
        " contribution.net_contribution, year_to_date.net_contribution_ytd, contribution.raroc"
        " from marts.customer_contribution_monthly as contribution"
        " inner join year_to_date on contribution.customer_id = year_to_date.customer_id"
        " left join marts.customer_360 as customer"
        " on contribution.customer_id = customer.customer_id"
        " left join marts.customer_tier_monthly as tier"
        " on contribution.customer_id = tier.customer_id and contribution.month = tier.month"
        " where contribution.month = %(month)s"
        f" order by rank limit {TOP_CUSTOMER_COUNT}"
    ),
    columns=(
        Column("rank", "Rank", Kind.COUNT),
        Column("customer_id", "Customer", Kind.TEXT),
        Column("full_name_masked", "Name (masked)", Kind.TEXT),
        Column("customer_type", "Customer type", Kind.TEXT),
        Column("segment", "Segment", Kind.TEXT),
        Column("tier", "Tier 客户分层", Kind.TEXT),
        _money("gross_contribution", "Gross contribution"),
        _money("cost_to_serve", "Cost to serve 服务成本"),
        _money("expected_loss", "Expected loss"),
        _money("capital_charge", "Capital charge 经济资本占用"),
        _money("net_contribution", "Net contribution (EVA) 综合贡献度"),
        _money("net_contribution_ytd", "Net contribution (EVA) YTD"),
        Column("raroc", "RAROC (annualised)", Kind.SHARE),
    ),
    has_totals=True,
)

CONCENTRATION = Sheet(
    name="Concentration 二八原则",
    title="Contribution concentration (二八原则), 12-month contribution of positive contributors",
    query=(
        "select month, customers, total_contribution, top_1pct_share, top_4pct_share,"
        " top_20pct_share, curve_share_at_50pct, gini, largest_customer_id,"
        " largest_customer_share, is_above_concentration_cap"
        " from marts.contribution_concentration where month <= %(month)s order by month desc"
    ),
    columns=(
        Column("month", "Month", Kind.MONTH),
        Column("customers", "Positive contributors", Kind.COUNT),
        Column("total_contribution", "12-month contribution", Kind.MONEY),
        Column("top_1pct_share", "Top 1% share", Kind.SHARE),
        Column("top_4pct_share", "Top 4% share", Kind.SHARE),
        Column("top_20pct_share", "Top 20% share", Kind.SHARE),
        Column("curve_share_at_50pct", "Top 50% share", Kind.SHARE),
        Column("gini", "Gini", Kind.SHARE),
        Column("largest_customer_id", "Largest customer", Kind.TEXT),
        Column("largest_customer_share", "Largest customer share", Kind.SHARE),
        Column("is_above_concentration_cap", "Above cap", Kind.FLAG),
    ),
)

RULES_AND_RATES = Sheet(
    name="Rules and rates 规则与费率",
    title="Rules and rates the month was priced with (规则与费率)",
    query=(
        "select rate_group, rate_key, rate_value, rate_unit, rate_source, source_month"
        " from marts.contribution_rates_monthly where month = %(month)s"
        # Plain SQL that PostgreSQL and Spark both run (cvw.marts_reader).
        " order by case rate_group when 'contribution_rule' then 1 when 'ftp_rate' then 2"
        " when 'unit_cost' then 3 when 'capital_ratio' then 4 when 'concentration_limit'"
        " then 5 end,"
        " case when rate_group = 'ftp_rate'"
        " then cast(split_part(rate_key, ' ', 2) as integer) end, rate_key"
    ),
    columns=(
        Column("rate_group", "Group", Kind.TEXT),
        Column("rate_key", "Applies to", Kind.TEXT),
        Column("rate_value", "Value", Kind.RATE),
        Column("rate_unit", "Unit", Kind.TEXT),
        Column("rate_source", "Source", Kind.TEXT),
        Column("source_month", "Source month", Kind.MONTH),
    ),
)

SHEETS = (
    CONTRIBUTION_BY_BRANCH,
    CONTRIBUTION_BY_RM,
    CONTRIBUTION_BY_SEGMENT,
    CONTRIBUTION_BY_PRODUCT_FAMILY,
    GL_RECONCILIATION,
    TOP_CUSTOMERS,
    CONCENTRATION,
    RULES_AND_RATES,
)
