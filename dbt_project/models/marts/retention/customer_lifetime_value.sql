-- Customer lifetime value (客户终身价值) at the latest reporting month, for
-- every customer on the books and not churned then:
--   CLV = sum over t = 1..H of margin x r^t / (1 + d)^t
--       = margin x q x (1 - q^H) / (1 - q), q = r / (1 + d)
-- margin: the customer's average monthly net contribution (EVA) over the
--   last clv_margin_months months with a contribution row;
-- r: monthly retention of the customer's current tier, a credibility-weighted
--   (Beta-binomial) estimate. A customer-month is at risk when the customer
--   was not churned at the previous month end (the first reporting month has
--   no previous month and is left out); it survives unless the customer is
--   churned at its month end. The prior is Beta(a0, b0) with mean the whole
--   portfolio's observed retention r_p and worth clv_retention_prior_months
--   customer-months n0: a0 = r_p x n0, b0 = (1 - r_p) x n0. A tier's posterior
--   is Beta(a0 + survived months, b0 + churn events) and r its mean
--   a / (a + b), so a tier without churn still gets r < 1 when the portfolio
--   has churn, and a small tier stays close to the portfolio's rate;
-- d: monthly rate equivalent to clv_annual_discount_rate;
-- H: clv_horizon_months.
-- The band (_p10, _p90) takes r at the 10th and 90th percentile of the
-- posterior. PostgreSQL has no inverse Beta function, so the percentiles use
-- the normal approximation mean -/+ z x sd of the Beta (z =
-- clv_retention_band_z, 1.2816), clipped to at least 0 and at most 0.999999
-- (the largest value below 1 at six decimals; a posterior mean of exactly 1,
-- from a portfolio without any churn, is kept as its own upper bound).
-- is_clv_above_margin_cap flags, without clipping, a CLV above
-- clv_max_margin_multiple x 12 months of a positive margin.
{#- One month's discount factor, (1 + d)^(1/12); its exponent to full precision
    on either engine (macros/portability/full_precision_quotient.sql). #}
{%- set monthly_discount_factor = 'power(1 + ' ~ var('clv_annual_discount_rate') ~ ', '
    ~ full_precision_quotient(1, 12.0) ~ ')' %}
with

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

churn_states as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

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
        count(*) filter (where churned_in_month) as churn_events
    from customer_months_at_risk
    group by grouping sets ((tier), ())

),

beta_prior as (

    select
        {{ var('clv_retention_prior_months') }}
        * (1 - churn_events / cast(exposure_months as numeric)) as prior_survived_months,
        {{ var('clv_retention_prior_months') }}
        * churn_events / cast(exposure_months as numeric) as prior_churn_events
    from retention_by_tier
    where retention_group = 'portfolio'

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
        {{ full_precision_avg('contributions.net_contribution') }} as monthly_margin
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

tier_posteriors as (

    -- A tier with no customer-month at risk (e.g. new in the latest month) has
    -- only the prior: retention_basis = portfolio.
    select
        current_customers.customer_id,
        case
            when tier_retention.exposure_months is null then 'portfolio' else 'tier'
        end as retention_basis,
        coalesce(tier_retention.exposure_months, 0) as retention_exposure_months,
        coalesce(tier_retention.churn_events, 0) as retention_churn_events,
        beta_prior.prior_survived_months
        + coalesce(tier_retention.exposure_months - tier_retention.churn_events, 0)
            as posterior_alpha,
        beta_prior.prior_churn_events
        + coalesce(tier_retention.churn_events, 0) as posterior_beta
    from current_customers
    cross join beta_prior
    left join retention_by_tier as tier_retention
        on current_customers.tier = tier_retention.retention_group

),

retention_estimates as (

    select
        customer_id,
        retention_basis,
        retention_exposure_months,
        retention_churn_events,
        retention_exposure_months
        / cast(retention_exposure_months + {{ var('clv_retention_prior_months') }} as numeric)
            as retention_credibility,
        posterior_alpha / (posterior_alpha + posterior_beta) as monthly_retention_rate,
        sqrt(
            posterior_alpha * posterior_beta
            / (
                power(posterior_alpha + posterior_beta, 2)
                * (posterior_alpha + posterior_beta + 1)
            )
        ) as monthly_retention_sd
    from tier_posteriors

),

retention_bands as (

    select
        *,
        greatest(
            monthly_retention_rate - {{ var('clv_retention_band_z') }} * monthly_retention_sd, 0
        ) as monthly_retention_rate_p10,
        least(
            monthly_retention_rate + {{ var('clv_retention_band_z') }} * monthly_retention_sd,
            greatest(monthly_retention_rate, 0.999999)
        ) as monthly_retention_rate_p90
    from retention_estimates

),

discounting as (

    select
        retention_bands.*,
        {{ monthly_discount_factor }} - 1 as monthly_discount_rate,
        retention_bands.monthly_retention_rate
        / {{ monthly_discount_factor }} as survival_discount_factor,
        retention_bands.monthly_retention_rate_p10
        / {{ monthly_discount_factor }}
            as survival_discount_factor_p10,
        retention_bands.monthly_retention_rate_p90
        / {{ monthly_discount_factor }}
            as survival_discount_factor_p90
    from retention_bands

),

lifetime_values as (

    select
        -- margin x sum over t = 1..H of q^t in closed form (H when q = 1), at
        -- the estimate and at both ends of the band.
        {%- for band in ['', '_p10', '_p90'] %}
        margins.monthly_margin
        * case
            when discounting.survival_discount_factor{{ band }} = 1
                then {{ var('clv_horizon_months') }}
            else
                discounting.survival_discount_factor{{ band }}
                * (
                    1 - power(
                        discounting.survival_discount_factor{{ band }},
                        {{ var('clv_horizon_months') }}
                    )
                )
                / (1 - discounting.survival_discount_factor{{ band }})
        end as customer_lifetime_value{{ band }},
        {%- endfor %}
        discounting.*,
        margins.margin_months,
        margins.monthly_margin
    from discounting
    left join margins on discounting.customer_id = margins.customer_id

),

final as (

    select
        current_customers.customer_id,
        current_customers.as_of_month,
        current_customers.tier,
        customers.customer_type,
        customers.segment,
        lifetime_values.margin_months,
        cast(lifetime_values.monthly_margin as numeric(18, 2)) as monthly_net_contribution,
        lifetime_values.retention_basis,
        cast(lifetime_values.monthly_retention_rate as numeric(9, 6)) as monthly_retention_rate,
        lifetime_values.retention_exposure_months,
        lifetime_values.retention_churn_events,
        cast(lifetime_values.monthly_discount_rate as numeric(9, 6)) as monthly_discount_rate,
        {{ var('clv_horizon_months') }} as horizon_months,
        cast(lifetime_values.customer_lifetime_value as numeric(18, 2))
            as customer_lifetime_value,
        cast(lifetime_values.retention_credibility as numeric(9, 6)) as retention_credibility,
        cast(lifetime_values.monthly_retention_rate_p10 as numeric(9, 6))
            as monthly_retention_rate_p10,
        cast(lifetime_values.monthly_retention_rate_p90 as numeric(9, 6))
            as monthly_retention_rate_p90,
        cast(lifetime_values.customer_lifetime_value_p10 as numeric(18, 2))
            as customer_lifetime_value_p10,
        cast(lifetime_values.customer_lifetime_value_p90 as numeric(18, 2))
            as customer_lifetime_value_p90,
        -- Only a positive margin is capped: a zero or negative margin gives a
        -- CLV of zero or a loss, which the cap against overstated value does
        -- not bound (and a customer without margin has no CLV to flag).
        coalesce(
            lifetime_values.monthly_margin > 0
            and lifetime_values.customer_lifetime_value
            > {{ var('clv_max_margin_multiple') }} * 12 * lifetime_values.monthly_margin,
            false
        ) as is_clv_above_margin_cap
    from current_customers
    inner join customers on current_customers.customer_id = customers.customer_id
    inner join lifetime_values on current_customers.customer_id = lifetime_values.customer_id

)

select * from final
{{ unless_closed_months_changed() }}
