-- How customers' RAROC is spread within each segment and month: the
-- percentiles of the annualised RAROC of customer_contribution_monthly
-- over the customer-months with economic capital at or above the
-- raroc_min_economic_capital var, and the share of them inside the plausible
-- band (vars raroc_plausible_min and raroc_plausible_max). A segment whose
-- share falls well below 1 has capital or costs that do not match its income:
-- the first place a controller looks before trusting a RAROC ranking.
-- Segments are core banking's; customers unknown to it fall under a null
-- segment.
with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contributions_joined_to_segments as (

    select
        customers.customer_type,
        customers.segment,
        contributions.month,
        contributions.economic_capital,
        contributions.raroc
    from contributions
    left join customers
        on contributions.customer_id = customers.customer_id

),

final as (

    select
        customer_type,
        segment,
        month,
        cast(count(*) as integer) as customer_count,
        cast(count(raroc) as integer) as raroc_customer_count,
        cast(
            percentile_cont(0.10) within group (order by raroc) as numeric(18, 6)
        ) as raroc_p10,
        cast(
            percentile_cont(0.25) within group (order by raroc) as numeric(18, 6)
        ) as raroc_p25,
        cast(
            percentile_cont(0.50) within group (order by raroc) as numeric(18, 6)
        ) as raroc_median,
        cast(
            percentile_cont(0.75) within group (order by raroc) as numeric(18, 6)
        ) as raroc_p75,
        cast(
            percentile_cont(0.90) within group (order by raroc) as numeric(18, 6)
        ) as raroc_p90,
        cast(
            count(*) filter (
                where raroc between {{ var('raroc_plausible_min') }}
                and {{ var('raroc_plausible_max') }}
            ) as integer
        ) as raroc_in_band_count,
        cast(
            count(*) filter (
                where raroc between {{ var('raroc_plausible_min') }}
                and {{ var('raroc_plausible_max') }}
            ) / nullif(cast(count(raroc) as numeric), 0)
            as numeric(9, 6)
        ) as raroc_in_band_share
    from contributions_joined_to_segments
    group by
        customer_type,
        segment,
        month

)

select * from final
{{ unless_closed_months_changed() }}
