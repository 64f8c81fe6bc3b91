-- The inputs of the monthly tiers and the sub-tiers, per customer active in
-- a reporting month (int_customer_months_active) with a current row in
-- dim_customer: tenure, days past due, rating, AUM, the 12-month gross and
-- net contribution and their percentile in the month, and the sub-tier.
-- customer_tier_monthly applies the tier rules to these rows.
-- Sub-tiers are set independently of the tier: retail customers are
-- private > affluent > mass by AUM and contribution_l12m; corporate customers
-- are industry > regional > potential key accounts, or not a key account,
-- by their contribution (or AUM) percentile among the month's corporates.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch, reading the lookback's months of
-- contribution before the first. A table rather than an ephemeral model:
-- PostgreSQL cannot push a reader's month filter through the lookback join
-- and the ranks within each month, so inlined it would compute every month.
-- The grain is a unique index: PostgreSQL refuses a duplicate, of a full
-- build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
        ]
    )
}}

{%- set scope = month_scope(incremental_lineage()) %}

with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}
    where {{ rebuilt_months(scope) }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}
    where {{ rebuilt_months(scope, 'month', var('tier_lookback_months')) }}

),

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

customer_months_aum as (

    select * from {{ ref('int_customer_months_aum') }}
    where {{ rebuilt_months(scope) }}

),

contributions_over_lookback as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        cast(coalesce(sum(contributions.gross_contribution), 0) as numeric(18, 2))
            as contribution_l12m,
        cast(coalesce(sum(contributions.net_contribution), 0) as numeric(18, 2))
            as net_contribution_l12m
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
        net_contribution_l12m,
        cast(
            percent_rank() over (partition by month order by {{ tier_ranked_l12m() }})
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
        customers.customer_type,
        customers.industry,
        customers.region,
        cast(coalesce(customer_months_aum.aum, 0) as numeric(18, 2)) as aum,
        contributions_ranked.contribution_l12m,
        contributions_ranked.net_contribution_l12m,
        contributions_ranked.contribution_percentile
    from customer_months_active
    inner join contributions_ranked
        on
            customer_months_active.customer_id = contributions_ranked.customer_id
            and customer_months_active.month = contributions_ranked.month
    inner join customers
        on customer_months_active.customer_id = customers.customer_id
    left join customer_months_aum
        on
            customer_months_active.customer_id
            = customer_months_aum.customer_id
            and customer_months_active.month = customer_months_aum.month

),

corporate_peers_ranked as (

    select
        customer_id,
        month,
        cast(
            percent_rank() over (partition by month, industry order by contribution_l12m)
            as numeric(9, 6)
        ) as industry_contribution_percentile,
        cast(
            percent_rank() over (partition by month, region order by contribution_l12m)
            as numeric(9, 6)
        ) as region_contribution_percentile,
        cast(
            percent_rank() over (partition by month order by contribution_l12m)
            as numeric(9, 6)
        ) as corporate_contribution_percentile,
        cast(
            percent_rank() over (partition by month order by aum)
            as numeric(9, 6)
        ) as corporate_aum_percentile
    from tier_inputs_joined
    where customer_type = 'corporate'

),

retail_sub_tiers_assigned as (

    select
        customer_id,
        month,
        case
            when aum >= {{ var('sub_tier_private_min_aum') }}
                then 'private.aum'
            when contribution_l12m >= {{ var('sub_tier_private_min_contribution_l12m') }}
                then 'private.contribution'
            when aum >= {{ var('sub_tier_affluent_min_aum') }}
                then 'affluent.aum'
            when contribution_l12m >= {{ var('sub_tier_affluent_min_contribution_l12m') }}
                then 'affluent.contribution'
            else 'mass.below_thresholds'
        end as sub_tier_reason
    from tier_inputs_joined
    where customer_type = 'retail'

),

corporate_sub_tiers_assigned as (

    select
        tier_inputs_joined.customer_id,
        tier_inputs_joined.month,
        case
            when
                tier_inputs_joined.tenure_months
                >= {{ var('sub_tier_key_account_min_tenure_months') }}
                and tier_inputs_joined.contribution_l12m > 0
                and tier_inputs_joined.industry is not null
                and corporate_peers_ranked.industry_contribution_percentile
                >= 1 - {{ var('sub_tier_industry_key_account_top_share') }}
                then 'industry_key_account.top_in_industry'
            when
                tier_inputs_joined.tenure_months
                >= {{ var('sub_tier_key_account_min_tenure_months') }}
                and tier_inputs_joined.contribution_l12m > 0
                and tier_inputs_joined.region is not null
                and corporate_peers_ranked.region_contribution_percentile
                >= 1 - {{ var('sub_tier_regional_key_account_top_share') }}
                then 'regional_key_account.top_in_region'
            when
                tier_inputs_joined.tenure_months
                < {{ var('sub_tier_key_account_min_tenure_months') }}
                and tier_inputs_joined.contribution_l12m > 0
                and corporate_peers_ranked.corporate_contribution_percentile
                >= 1 - {{ var('sub_tier_potential_key_account_top_share') }}
                then 'potential_key_account.top_contribution'
            when
                tier_inputs_joined.tenure_months
                < {{ var('sub_tier_key_account_min_tenure_months') }}
                and tier_inputs_joined.aum > 0
                and corporate_peers_ranked.corporate_aum_percentile
                >= 1 - {{ var('sub_tier_potential_key_account_top_share') }}
                then 'potential_key_account.top_aum'
            else 'not_key_account.no_rule_matched'
        end as sub_tier_reason
    from tier_inputs_joined
    inner join corporate_peers_ranked
        on
            tier_inputs_joined.customer_id = corporate_peers_ranked.customer_id
            and tier_inputs_joined.month = corporate_peers_ranked.month

),

sub_tiers_unioned as (

    select * from retail_sub_tiers_assigned

    union all

    select * from corporate_sub_tiers_assigned

),

final as (

    select
        tier_inputs_joined.customer_id,
        tier_inputs_joined.month,
        tier_inputs_joined.tenure_months,
        tier_inputs_joined.max_days_past_due,
        tier_inputs_joined.credit_rating,
        tier_inputs_joined.customer_type,
        tier_inputs_joined.industry,
        tier_inputs_joined.region,
        tier_inputs_joined.aum,
        tier_inputs_joined.contribution_l12m,
        tier_inputs_joined.net_contribution_l12m,
        tier_inputs_joined.contribution_percentile,
        split_part(sub_tiers_unioned.sub_tier_reason, '.', 1) as sub_tier,
        sub_tiers_unioned.sub_tier_reason,
        corporate_peers_ranked.industry_contribution_percentile,
        corporate_peers_ranked.region_contribution_percentile,
        corporate_peers_ranked.corporate_contribution_percentile,
        corporate_peers_ranked.corporate_aum_percentile
    from tier_inputs_joined
    left join sub_tiers_unioned
        on
            tier_inputs_joined.customer_id = sub_tiers_unioned.customer_id
            and tier_inputs_joined.month = sub_tiers_unioned.month
    left join corporate_peers_ranked
        on
            tier_inputs_joined.customer_id = corporate_peers_ranked.customer_id
            and tier_inputs_joined.month = corporate_peers_ranked.month

)

select * from final
