-- Logo and contribution retention over each horizon of var
-- retention_horizons_months (12 = year over year), with the churn rate
-- annualised and flagged against var churn_alarm_annual_rate.
--   base customers: onboarded and not churned at the end of the base month
--     (the month horizon_months before);
--   logo retention: share of them not churned at this month's end;
--   gross / net contribution retention (GRR / NRR) over the base customers
--     with a positive gross contribution in the base month:
--     GRR = sum(least(greatest(now, 0), then)) / sum(then): churn and
--     shrinkage only, growth does not count;
--     NRR = sum(now) / sum(then): growth offsets churn and shrinkage.
with

churn_states as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

horizons as (

    select {{ values_unnested(var('retention_horizons_months')) }} as horizon_months

),

base_customers as (

    select
        base_states.customer_id,
        customers.segment,
        horizons.horizon_months,
        base_states.month as base_month,
        current_states.month,
        current_states.is_churned as is_churned_now,
        coalesce(base_contributions.gross_contribution, 0) as contribution_then,
        coalesce(current_contributions.gross_contribution, 0) as contribution_now,
        least(
            greatest(coalesce(current_contributions.gross_contribution, 0), 0),
            base_contributions.gross_contribution
        ) as contribution_kept
    from churn_states as base_states
    cross join horizons
    inner join churn_states as current_states
        on
            base_states.customer_id = current_states.customer_id
            and base_states.month + horizons.horizon_months * interval '1 month'
            = current_states.month
    inner join customers on base_states.customer_id = customers.customer_id
    left join contributions as base_contributions
        on
            base_states.customer_id = base_contributions.customer_id
            and base_states.month = base_contributions.month
    left join contributions as current_contributions
        on
            current_states.customer_id = current_contributions.customer_id
            and current_states.month = current_contributions.month
    where not base_states.is_churned

),

retention_summed as (

    select
        month,
        horizon_months,
        case when grouping(segment) = 1 then 'all' else segment end as segment,
        min(base_month) as base_month,
        count(*) as customers_start,
        count(*) filter (where not is_churned_now) as customers_retained,
        sum(contribution_then) filter (where contribution_then > 0) as contribution_start,
        sum(contribution_kept) filter (where contribution_then > 0)
            as contribution_retained_gross,
        sum(contribution_now) filter (where contribution_then > 0) as contribution_now_net
    from base_customers
    group by grouping sets ((month, horizon_months, segment), (month, horizon_months))

),

rates_computed as (

    select
        *,
        customers_retained / cast(customers_start as numeric) as logo_retention_rate,
        contribution_retained_gross / nullif(contribution_start, 0)
            as gross_contribution_retention,
        contribution_now_net / nullif(contribution_start, 0) as net_contribution_retention
    from retention_summed

),

final as (

    select
        month,
        horizon_months,
        segment,
        base_month,
        customers_start,
        customers_retained,
        customers_start - customers_retained as customers_churned,
        cast(logo_retention_rate as numeric(9, 6)) as logo_retention_rate,
        cast(1 - power(logo_retention_rate, 12.0 / horizon_months) as numeric(9, 6))
            as annualised_churn_rate,
        1 - power(logo_retention_rate, 12.0 / horizon_months)
        > {{ var('churn_alarm_annual_rate') }} as is_churn_alarm,
        cast(coalesce(contribution_start, 0) as numeric(18, 2)) as contribution_start,
        cast(coalesce(contribution_retained_gross, 0) as numeric(18, 2))
            as contribution_retained_gross,
        cast(coalesce(contribution_now_net, 0) as numeric(18, 2)) as contribution_now_net,
        cast(gross_contribution_retention as numeric(9, 6)) as gross_contribution_retention,
        cast(net_contribution_retention as numeric(9, 6)) as net_contribution_retention
    from rates_computed

)

select * from final
{{ unless_closed_months_changed() }}
