-- Branch overhead absorbed by the accounts a branch keeps, one row per open
-- account and reporting month, in CNY, unrounded. The overhead of a branch
-- and month is its general ledger on the accounts of the
-- branch_overhead_gl_accounts var (premises and IT: what the branch costs
-- to run whatever its customers do). The branch_overhead_allocation var
-- chooses what happens to it:
--   none                 (default) nothing is absorbed: this model is empty
--                        and the overhead stays in the unallocated branch
--                        residual of contribution_gl_reconciliation
--   open_account_months  each branch-month's overhead is split equally over
--                        the accounts of the branch open in the month
{%- set methods = ['none', 'open_account_months'] %}
{%- set method = var('branch_overhead_allocation') %}
{%- if method not in methods %}
    {{ exceptions.raise_compiler_error(
        "var branch_overhead_allocation is '" ~ method ~ "'; use one of: " ~ methods | join(', ')
    ) }}
{%- endif %}
with

account_months_open as (

    select * from {{ ref('int_account_months_open') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

gl_postings as (

    select * from {{ ref('stg_erp__gl_postings') }}

),

cost_centers as (

    select * from {{ ref('stg_erp__cost_centers') }}

),

branch_cost_centers as (

    select distinct
        cost_center_id,
        branch_id
    from cost_centers
    where cost_center_type = 'branch'

),

overhead_by_branch_month as (

    select
        branch_cost_centers.branch_id,
        cast({{ parse_date('gl_postings.accounting_period', 'YYYY-MM') }} as date) as month,
        sum(gl_postings.amount) as branch_overhead
    from gl_postings
    inner join branch_cost_centers
        on gl_postings.cost_center_id = branch_cost_centers.cost_center_id
    where gl_postings.gl_account in {{ sql_string_list(var('branch_overhead_gl_accounts')) }}
    group by
        branch_cost_centers.branch_id,
        gl_postings.accounting_period

),

account_months_at_branches as (

    select
        account_months_open.account_id,
        account_months_open.customer_id,
        account_months_open.month,
        accounts.branch_id,
        products.product_family,
        count(*) over (
            partition by accounts.branch_id, account_months_open.month
        ) as branch_open_accounts
    from account_months_open
    inner join accounts
        on account_months_open.account_id = accounts.account_id
    left join products
        on account_months_open.product_code = products.product_code

),

final as (

    select
        account_months_at_branches.account_id,
        account_months_at_branches.customer_id,
        account_months_at_branches.month,
        account_months_at_branches.branch_id,
        account_months_at_branches.product_family,
        overhead_by_branch_month.branch_overhead
        / account_months_at_branches.branch_open_accounts as branch_overhead_cost
    from account_months_at_branches
    inner join overhead_by_branch_month
        on
            account_months_at_branches.branch_id = overhead_by_branch_month.branch_id
            and account_months_at_branches.month = overhead_by_branch_month.month
    {%- if method == 'none' %}
    where false
    {%- endif %}

)

select * from final
{{ unless_closed_months_changed() }}
