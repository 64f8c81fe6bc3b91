-- For every month of tier_migration_monthly, the customers arriving in a tier
-- (to_tier other than `churned`) must equal customer_tier_monthly's count of
-- the month, and the customers leaving a tier (from_tier other than `new`)
-- its count of the previous month. Returns the months that do not tie.
with

tier_migrations as (

    select * from {{ ref('tier_migration_monthly') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

tier_counts_by_month as (

    select
        month,
        count(*) as customers
    from customer_tiers
    group by month

),

migration_counts_by_month as (

    select
        month,
        sum(customers) filter (where to_tier <> 'churned') as customers_to_tiers,
        sum(customers) filter (where from_tier <> 'new') as customers_from_tiers
    from tier_migrations
    group by month

),

counts_compared as (

    select
        migration_counts_by_month.month,
        migration_counts_by_month.customers_to_tiers,
        migration_counts_by_month.customers_from_tiers,
        current_counts.customers as tier_customers,
        previous_counts.customers as previous_tier_customers
    from migration_counts_by_month
    left join tier_counts_by_month as current_counts
        on migration_counts_by_month.month = current_counts.month
    left join tier_counts_by_month as previous_counts
        on migration_counts_by_month.month - interval '1 month' = previous_counts.month

),

final as (

    select * from counts_compared
    where
        coalesce(customers_to_tiers, 0) is distinct from coalesce(tier_customers, 0)
        or coalesce(customers_from_tiers, 0) is distinct from coalesce(previous_tier_customers, 0)

)

select * from final
