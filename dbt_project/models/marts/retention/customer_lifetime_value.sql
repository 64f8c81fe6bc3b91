-- Customer lifetime value (客户终身价值) at the latest reporting month, for
-- every customer on the books and not churned then:
--   CLV = sum over t = 1..H of margin x r^t / (1 + d)^t
--       = margin x q x (1 - q^H) / (1 - q), q = r / (1 + d)
-- margin: the customer's average monthly net contribution (EVA) over the
--   last clv_margin_months months with a contribution row;
-- r: monthly retention of the customer's current tier, estimated from the
--   data as 1 - churn events / customer-months at risk over the reporting
--   months (a customer-month is at risk when the customer was not churned at
--   the previous month end; the first reporting month has no previous month
--   and is left out). A tier with fewer than clv_min_tier_exposure_months
--   customer-months uses the whole portfolio's rate;
-- d: monthly rate equivalent to clv_annual_discount_rate;
-- H: clv_horizon_months.
with

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

churn_states as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

contributions as (

    select * from {{ ref('fct_customer_contribution_monthly') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

months_bounds as (

    select
        min(month) as first_month,
        max(month) as as_of_month
    from customer_tiers

),

customer_months_at_risk as (

    select
        customer_tiers.tier,
        churn_states.is_churned as churned_in_month
    from customer_tiers
    cross join months_bounds
    inner join churn_states
        on
            customer_tiers.customer_id = churn_states.customer_id
            and customer_tiers.month = churn_states.month
    where
        customer_tiers.month > months_bounds.first_month
        and not coalesce(churn_states.was_churned_previous_month, false)

),

retention_by_tier as (

    select
        case when grouping(tier) = 1 then 'portfolio' else tier end as retention_group,
        count(*) as exposure_months,
        count(*) filter (where churned_in_month) as churn_events,
        1 - count(*) filter (where churned_in_month) / cast(count(*) as numeric)
            as monthly_retention_rate
    from customer_months_at_risk
    group by grouping sets ((tier), ())

),

current_customers as (

    select
        customer_tiers.customer_id,
        customer_tiers.month as as_of_month,
        customer_tiers.tier
    from customer_tiers
    inner join months_bounds on customer_tiers.month = months_bounds.as_of_month
    inner join churn_states
        on
            customer_tiers.customer_id = churn_states.customer_id
            and customer_tiers.month = churn_states.month
    where not churn_states.is_churned

),

margins as (

    select
        current_customers.customer_id,
        count(contributions.month) as margin_months,
        avg(contributions.net_contribution) as monthly_margin
    from current_customers
    inner join contributions
        on
            current_customers.customer_id = contributions.customer_id
            and current_customers.as_of_month >= contributions.month
            and current_customers.as_of_month
            - interval '{{ var("clv_margin_months") }} months'
            < contributions.month
    group by current_customers.customer_id

),

retention_chosen as (

    select
        current_customers.customer_id,
        case
            when tier_retention.exposure_months >= {{ var('clv_min_tier_exposure_months') }}
                then 'tier'
            else 'portfolio'
        end as retention_basis,
        case
            when tier_retention.exposure_months >= {{ var('clv_min_tier_exposure_months') }}
                then tier_retention.monthly_retention_rate
            else portfolio_retention.monthly_retention_rate
        end as monthly_retention_rate,
        case
            when tier_retention.exposure_months >= {{ var('clv_min_tier_exposure_months') }}
                then tier_retention.exposure_months
            else portfolio_retention.exposure_months
        end as retention_exposure_months,
        case
            when tier_retention.exposure_months >= {{ var('clv_min_tier_exposure_months') }}
                then tier_retention.churn_events
            else portfolio_retention.churn_events
        end as retention_churn_events
    from current_customers
    left join retention_by_tier as tier_retention
        on current_customers.tier = tier_retention.retention_group
    cross join retention_by_tier as portfolio_retention
    where portfolio_retention.retention_group = 'portfolio'

),

discounting as (

    select
        retention_chosen.*,
        power(1 + {{ var('clv_annual_discount_rate') }}, 1 / 12.0) - 1 as monthly_discount_rate,
        retention_chosen.monthly_retention_rate
        / power(1 + {{ var('clv_annual_discount_rate') }}, 1 / 12.0) as survival_discount_factor
    from retention_chosen

),

final as (

    select
        current_customers.customer_id,
        current_customers.as_of_month,
        current_customers.tier,
        customers.customer_type,
        customers.segment,
        margins.margin_months,
        cast(margins.monthly_margin as numeric(18, 2)) as monthly_net_contribution,
        discounting.retention_basis,
        cast(discounting.monthly_retention_rate as numeric(9, 6)) as monthly_retention_rate,
        discounting.retention_exposure_months,
        discounting.retention_churn_events,
        cast(discounting.monthly_discount_rate as numeric(9, 6)) as monthly_discount_rate,
        {{ var('clv_horizon_months') }} as horizon_months,
        cast(
            margins.monthly_margin
            * case
                when discounting.survival_discount_factor = 1
                    then {{ var('clv_horizon_months') }}
                else
                    discounting.survival_discount_factor
                    * (
                        1 - power(
                            discounting.survival_discount_factor, {{ var('clv_horizon_months') }}
                        )
                    )
                    / (1 - discounting.survival_discount_factor)
            end
            as numeric(18, 2)
        ) as customer_lifetime_value
    from current_customers
    inner join customers on current_customers.customer_id = customers.customer_id
    inner join discounting on current_customers.customer_id = discounting.customer_id
    left join margins on current_customers.customer_id = margins.customer_id

)

select * from final
