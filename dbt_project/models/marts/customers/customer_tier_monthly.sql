-- Monthly customer tier (客户分层) with a machine-readable reason. Thresholds
-- are dbt vars (dbt_project.yml). The first rule that matches wins:
-- restricted > premium > major > potential > ordinary.
-- The contribution percentile ranks the 12-month sum of the measure named by
-- the tier_ranking_contribution var (net contribution, EVA, by default: a
-- customer ranks on what it leaves after cost to serve, risk and capital),
-- and a negative 12-month net contribution restricts the customer.
-- Each row also carries a sub-tier, set independently of the tier; the tier
-- inputs (12-month contribution, its percentile, AUM, tenure) and the
-- sub-tiers come from int_customer_months_sub_tiered.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch. The grain is a unique index: PostgreSQL
-- refuses a duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
        ]
    )
}}

{%- set scope = month_scope(incremental_lineage()) %}

with

customer_months_sub_tiered as (

    select * from {{ ref('int_customer_months_sub_tiered') }}
    where {{ rebuilt_months(scope) }}

),

credit_ratings_classified as (

    select
        *,
        coalesce(
            credit_rating in {{ sql_string_list(var('tier_good_credit_ratings')) }},
            false
        ) as has_good_credit_rating,
        coalesce(
            credit_rating in {{ sql_string_list(var('tier_restricted_credit_ratings')) }},
            false
        ) as has_restricted_credit_rating
    from customer_months_sub_tiered

),

tier_rules_applied as (

    select
        *,
        case
            when max_days_past_due >= {{ var('tier_restricted_min_days_past_due') }}
                then 'restricted.days_past_due'
            when net_contribution_l12m < 0
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
    from credit_ratings_classified

),

final as (

    select
        customer_id,
        month,
        split_part(tier_reason, '.', 1) as tier,
        tier_reason,
        contribution_l12m,
        net_contribution_l12m,
        contribution_percentile,
        tenure_months,
        max_days_past_due,
        credit_rating,
        sub_tier,
        sub_tier_reason,
        customer_type,
        aum,
        industry,
        region,
        industry_contribution_percentile,
        region_contribution_percentile,
        corporate_contribution_percentile,
        corporate_aum_percentile
    from tier_rules_applied

)

select * from final
