-- Ties the contribution mart to the general ledger, one row per month and GL
-- line (interest_income, interest_expense, fee_income, operating_expense), in
-- CNY. The month of a GL posting is its accounting period.
--
--   gl_amount           all postings of the line, every cost center
--   allocated_amount    what customer_contribution_monthly carries:
--                         interest_income   = sum of loan_interest_income
--                         interest_expense  = sum of deposit_interest_expense
--                         fee_income        = sum of fee_income
--                         operating_expense = sum of cost_to_serve
--   unallocated_amount  = unallocated_non_branch_amount
--                         + unallocated_branch_residual_amount, where
--     unallocated_non_branch_amount       the line's GL on cost centers that
--                                         are not customer-facing (types not
--                                         in the contribution_customer_facing_
--                                         cost_center_types var: treasury,
--                                         head office) or not in the ERP
--                                         cost-center list;
--     unallocated_branch_residual_amount  operating_expense only: branch GL
--                                         minus cost to serve, the branch cost
--                                         no customer activity explains; 0 for
--                                         the other lines.
--   difference          = gl_amount - allocated_amount - unallocated_amount.
--   unallocated_share   = unallocated_amount / gl_amount, null when the line's
--                         GL is 0; is_unallocated_alarm when it exceeds the
--                         gl_unallocated_share_alarm var (a line with no GL
--                         raises no alarm).
--
-- For interest and fee lines difference = branch GL - allocated amount: a
-- real check that what customers carry is what the branches booked. For
-- operating expense it is 0 by construction; the residual is shown instead.
with

gl_postings as (

    select * from {{ ref('stg_erp__gl_postings') }}

),

cost_centers as (

    select * from {{ ref('stg_erp__cost_centers') }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

gl_postings_to_months as (

    select
        gl_posting_id,
        gl_line,
        cost_center_id,
        amount,
        cast({{ parse_date('accounting_period', 'YYYY-MM') }} as date) as month,
        cast(
            {{ parse_date('accounting_period', 'YYYY-MM') }} + interval '1 month' - interval '1 day'
            as date
        ) as month_end_date
    from gl_postings

),

cost_center_versions_ranked as (

    select
        gl_postings_to_months.gl_posting_id,
        cost_centers.cost_center_type,
        row_number() over (
            partition by gl_postings_to_months.gl_posting_id
            order by cost_centers.valid_from_date desc
        ) as version_rank
    from gl_postings_to_months
    inner join cost_centers
        on
            gl_postings_to_months.cost_center_id = cost_centers.cost_center_id
            and gl_postings_to_months.month_end_date >= cost_centers.valid_from_date

),

gl_postings_classified as (

    select
        gl_postings_to_months.month,
        gl_postings_to_months.gl_line,
        gl_postings_to_months.amount,
        coalesce(
            cost_center_versions_ranked.cost_center_type
            in {{ sql_string_list(var('contribution_customer_facing_cost_center_types')) }},
            false
        ) as is_customer_facing
    from gl_postings_to_months
    left join cost_center_versions_ranked
        on
            gl_postings_to_months.gl_posting_id = cost_center_versions_ranked.gl_posting_id
            and cost_center_versions_ranked.version_rank = 1

),

gl_by_month_and_line as (

    select
        month,
        gl_line,
        sum(amount) as gl_amount,
        coalesce(sum(amount) filter (where is_customer_facing), 0) as gl_branch_amount,
        coalesce(sum(amount) filter (where not is_customer_facing), 0) as gl_non_branch_amount
    from gl_postings_classified
    group by
        month,
        gl_line

),

allocated_by_month_and_line as (

    select
        month,
        'interest_income' as gl_line,
        sum(loan_interest_income) as allocated_amount
    from contributions
    group by month

    union all

    select
        month,
        'interest_expense' as gl_line,
        sum(deposit_interest_expense) as allocated_amount
    from contributions
    group by month

    union all

    select
        month,
        'fee_income' as gl_line,
        sum(fee_income) as allocated_amount
    from contributions
    group by month

    union all

    select
        month,
        'operating_expense' as gl_line,
        sum(cost_to_serve) as allocated_amount
    from contributions
    group by month

),

ledger_and_allocation_joined as (

    select
        coalesce(gl_by_month_and_line.month, allocated_by_month_and_line.month) as month,
        coalesce(gl_by_month_and_line.gl_line, allocated_by_month_and_line.gl_line) as gl_line,
        coalesce(gl_by_month_and_line.gl_amount, 0) as gl_amount,
        coalesce(gl_by_month_and_line.gl_branch_amount, 0) as gl_branch_amount,
        coalesce(gl_by_month_and_line.gl_non_branch_amount, 0) as gl_non_branch_amount,
        coalesce(allocated_by_month_and_line.allocated_amount, 0) as allocated_amount
    from gl_by_month_and_line
    full outer join allocated_by_month_and_line
        on
            gl_by_month_and_line.month = allocated_by_month_and_line.month
            and gl_by_month_and_line.gl_line = allocated_by_month_and_line.gl_line

),

unallocated_amounts_added as (

    select
        *,
        gl_non_branch_amount as unallocated_non_branch_amount,
        -- operating expense is the only line with branch cost that customers
        -- do not carry in full: the residual is shown, never dropped
        case
            when gl_line = 'operating_expense' then gl_branch_amount - allocated_amount
            else 0
        end as unallocated_branch_residual_amount
    from ledger_and_allocation_joined

),

unallocated_shares_measured as (

    select
        *,
        unallocated_non_branch_amount + unallocated_branch_residual_amount as unallocated_amount,
        (unallocated_non_branch_amount + unallocated_branch_residual_amount)
        / nullif(gl_amount, 0) as unallocated_share
    from unallocated_amounts_added

),

final as (

    select
        month,
        gl_line,
        cast(gl_amount as numeric(18, 2)) as gl_amount,
        cast(gl_branch_amount as numeric(18, 2)) as gl_branch_amount,
        cast(allocated_amount as numeric(18, 2)) as allocated_amount,
        cast(unallocated_non_branch_amount as numeric(18, 2)) as unallocated_non_branch_amount,
        cast(
            unallocated_branch_residual_amount as numeric(18, 2)
        ) as unallocated_branch_residual_amount,
        cast(unallocated_amount as numeric(18, 2)) as unallocated_amount,
        cast(
            gl_amount - allocated_amount - unallocated_amount as numeric(18, 2)
        ) as difference,
        cast(round(unallocated_share, 6) as numeric(9, 6)) as unallocated_share,
        coalesce(
            unallocated_share > {{ var('gl_unallocated_share_alarm') }}, false
        ) as is_unallocated_alarm
    from unallocated_shares_measured

)

select * from final
{{ unless_closed_months_changed() }}
