-- Monthly customer tier (客户分层) with a machine-readable reason. Thresholds
-- are dbt vars (dbt_project.yml). The first rule that matches wins:
-- restricted > premium > major > potential > ordinary.
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}

),

contributions as (

    select * from {{ ref('fct_customer_contribution_monthly') }}

),

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

contributions_over_lookback as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        cast(coalesce(sum(contributions.gross_contribution), 0) as numeric(18, 2))
            as contribution_l12m
    from customer_months_active
    left join contributions
        on
            customer_months_active.customer_id = contributions.customer_id
            and customer_months_active.month >= contributions.month
            and customer_months_active.month
            - interval '{{ var("tier_lookback_months") }} months'
            < contributions.month
    group by
        customer_months_active.customer_id,
        customer_months_active.month

),

contributions_ranked as (

    select
        customer_id,
        month,
        contribution_l12m,
        cast(
            percent_rank() over (partition by month order by contribution_l12m)
            as numeric(9, 6)
        ) as contribution_percentile
    from contributions_over_lookback

),

tier_inputs_joined as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        customer_months_active.tenure_months,
        customer_months_active.max_days_past_due,
        customers.credit_rating,
        contributions_ranked.contribution_l12m,
        contributions_ranked.contribution_percentile,
        coalesce(
            customers.credit_rating in {{ sql_string_list(var('tier_good_credit_ratings')) }},
            false
        ) as has_good_credit_rating,
        coalesce(
            customers.credit_rating
            in {{ sql_string_list(var('tier_restricted_credit_ratings')) }},
            false
        ) as has_restricted_credit_rating
    from customer_months_active
    inner join contributions_ranked
        on
            customer_months_active.customer_id = contributions_ranked.customer_id
            and customer_months_active.month = contributions_ranked.month
    inner join customers
        on customer_months_active.customer_id = customers.customer_id

),

tier_rules_applied as (

    select
        *,
        case
            when max_days_past_due >= {{ var('tier_restricted_min_days_past_due') }}
                then 'restricted.days_past_due'
            when contribution_l12m < 0
                then 'restricted.negative_contribution'
            when has_restricted_credit_rating
                then 'restricted.credit_rating'
            when
                contribution_percentile >= 1 - {{ var('tier_premium_top_share') }}
                and has_good_credit_rating
                and tenure_months >= {{ var('tier_premium_min_tenure_months') }}
                then 'premium.top_contribution'
            when contribution_percentile >= 1 - {{ var('tier_major_top_share') }}
                then 'major.high_contribution'
            when
                tenure_months < {{ var('tier_potential_max_tenure_months') }}
                and has_good_credit_rating
                then 'potential.new_well_rated'
            else 'ordinary.no_rule_matched'
        end as tier_reason
    from tier_inputs_joined

),

final as (

    select
        customer_id,
        month,
        split_part(tier_reason, '.', 1) as tier,
        tier_reason,
        contribution_l12m,
        contribution_percentile,
        tenure_months,
        max_days_past_due,
        credit_rating
    from tier_rules_applied

)

select * from final
