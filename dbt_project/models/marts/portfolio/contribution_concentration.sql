-- Contribution concentration (二八原则), one row per month. The population is
-- the customers of customer_tier_monthly with a positive contribution_l12m
-- (gross contribution over the tier lookback): shares of a total that nets
-- loss-making customers against profitable ones are not shares at all.
-- The top-N% columns hold the share of the total of the top ceil(p x customers)
-- customers ranked by contribution_l12m descending. The percentages below
-- define the named columns; they are report definitions, not tunable limits.
-- The concentration cap is in the seed concentration_limits.
{%- set top_shares = [
    ('top_1pct_share', '0.01'),
    ('top_4pct_share', '0.04'),
    ('top_20pct_share', '0.20'),
    ('curve_share_at_10pct', '0.10'),
    ('curve_share_at_20pct', '0.20'),
    ('curve_share_at_30pct', '0.30'),
    ('curve_share_at_50pct', '0.50'),
] %}
with

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

concentration_limits as (

    select * from {{ ref('concentration_limits') }}

),

positive_contributors as (

    select
        customer_id,
        month,
        contribution_l12m
    from customer_tiers
    where contribution_l12m > 0

),

positive_contributors_ranked as (

    select
        customer_id,
        month,
        contribution_l12m,
        row_number() over (
            partition by month order by contribution_l12m desc, customer_id asc
        ) as rank_descending,
        row_number() over (
            partition by month order by contribution_l12m asc, customer_id desc
        ) as rank_ascending,
        count(*) over (partition by month) as customers,
        sum(contribution_l12m) over (partition by month) as total_contribution
    from positive_contributors

),

concentration_by_month as (

    select
        month,
        max(customers) as customers,
        max(total_contribution) as total_contribution,
        {%- for column_name, top_share in top_shares %}
        sum(contribution_l12m) filter (
            where rank_descending <= ceil({{ top_share }} * customers)
        ) / max(total_contribution) as {{ column_name }},
        {%- endfor %}
        sum((2 * rank_ascending - customers - 1) * contribution_l12m)
        / (max(customers) * max(total_contribution)) as gini
    from positive_contributors_ranked
    group by month

),

largest_customers as (

    select
        month,
        customer_id as largest_customer_id,
        contribution_l12m / total_contribution as largest_customer_share
    from positive_contributors_ranked
    where rank_descending = 1

),

final as (

    select
        concentration_by_month.month,
        cast(concentration_by_month.customers as integer) as customers,
        cast(concentration_by_month.total_contribution as numeric(18, 2)) as total_contribution,
        {%- for column_name, top_share in top_shares %}
        cast(concentration_by_month.{{ column_name }} as numeric(12, 10)) as {{ column_name }},
        {%- endfor %}
        cast(concentration_by_month.gini as numeric(12, 10)) as gini,
        largest_customers.largest_customer_id,
        cast(largest_customers.largest_customer_share as numeric(12, 10))
            as largest_customer_share,
        largest_customers.largest_customer_share
        > concentration_limits.largest_customer_share_cap as is_above_concentration_cap
    from concentration_by_month
    inner join largest_customers
        on concentration_by_month.month = largest_customers.month
    cross join concentration_limits

)

select * from final
{{ unless_closed_months_changed() }}
