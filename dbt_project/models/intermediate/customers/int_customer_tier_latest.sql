-- The latest tier per customer: the customer's row of customer_tier_monthly
-- with the latest month, with the tier's reason and 12-month contribution.
-- Customers without a tiered month have no row.
with

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

customer_tiers_ranked as (

    select
        customer_id,
        month,
        tier,
        tier_reason,
        contribution_l12m,
        row_number() over (partition by customer_id order by month desc) as recency_rank
    from customer_tiers

),

final as (

    select
        customer_id,
        month,
        tier,
        tier_reason,
        contribution_l12m
    from customer_tiers_ranked
    where recency_rank = 1

)

select * from final
