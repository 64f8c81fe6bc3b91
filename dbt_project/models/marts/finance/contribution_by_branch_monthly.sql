-- Contribution per home branch of the customer and month, in CNY: the sums of
-- customer_contribution_monthly over the customers whose core-banking
-- home branch is the branch (customers missing from core banking fall under
-- a null branch_id). Sums of rounded customer lines, so the branches of a
-- month add up exactly to the customer mart. Year-to-date columns sum the
-- months of the calendar year up to and including the month (reset each
-- January). raroc = (gross - cost to serve - expected loss) x 12 / economic
-- capital, null below the raroc_min_economic_capital var.

with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contributions_joined_to_branches as (

    select
        customers.branch_id,
        contributions.*
    from contributions
    left join customers
        on contributions.customer_id = customers.customer_id

),

contributions_by_branch_month as (

    {{ contribution_summed_by('contributions_joined_to_branches', ['branch_id']) }}

),

final as (

    {{ contribution_ytd_and_raroc('contributions_by_branch_month', ['branch_id']) }}

)

select * from final
{{ unless_closed_months_changed() }}
