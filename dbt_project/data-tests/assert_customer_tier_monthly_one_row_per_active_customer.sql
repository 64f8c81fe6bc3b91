-- customer_tier_monthly must hold exactly one row per active customer and
-- month: its row count per month equals int_customer_months_active's (a
-- customer missing from dim_customer would silently drop out otherwise).
-- Returns the months whose counts differ.
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

active_counts_by_month as (

    select
        month,
        count(*) as active_customers
    from customer_months_active
    group by month

),

tier_counts_by_month as (

    select
        month,
        count(*) as tier_rows,
        count(distinct customer_id) as tier_customers
    from customer_tiers
    group by month

),

final as (

    select
        coalesce(active_counts_by_month.month, tier_counts_by_month.month) as month,
        active_counts_by_month.active_customers,
        tier_counts_by_month.tier_rows,
        tier_counts_by_month.tier_customers
    from active_counts_by_month
    full outer join tier_counts_by_month
        on active_counts_by_month.month = tier_counts_by_month.month
    where
        active_counts_by_month.active_customers is distinct from tier_counts_by_month.tier_rows
        or tier_counts_by_month.tier_rows is distinct from tier_counts_by_month.tier_customers

)

select * from final
