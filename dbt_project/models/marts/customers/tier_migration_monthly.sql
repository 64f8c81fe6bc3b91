-- Tier migration matrix (客户分层迁移), month over month: how many customers
-- moved from each tier of the previous month to each tier of the month, and
-- their gross contribution. A customer without a tier row the previous month
-- comes from `new`; one without a row this month goes to `churned` (left the
-- books), and for churned customers the contribution is their previous
-- month's. The first reporting month has no previous month and no rows.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch, reading the month before the first.

{%- set scope = month_scope(incremental_lineage()) %}

with

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}
    where {{ rebuilt_months(scope, 'month', 1) }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}
    where {{ rebuilt_months(scope, 'month', 1) }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}
    where {{ rebuilt_months(scope, 'month', 1) }}

),

reporting_months_paired as (

    select
        month,
        lag(month) over (order by month) as previous_month
    from reporting_months

),

months_with_previous as (

    select * from reporting_months_paired
    where previous_month is not null

),

customers_of_either_month as (

    select
        months_with_previous.month,
        months_with_previous.previous_month,
        customer_tiers.customer_id
    from months_with_previous
    inner join customer_tiers
        on months_with_previous.month = customer_tiers.month

    union

    select
        months_with_previous.month,
        months_with_previous.previous_month,
        customer_tiers.customer_id
    from months_with_previous
    inner join customer_tiers
        on months_with_previous.previous_month = customer_tiers.month

),

tiers_of_both_months_joined as (

    select
        customers_of_either_month.month,
        customers_of_either_month.customer_id,
        coalesce(previous_tiers.tier, 'new') as from_tier,
        coalesce(current_tiers.tier, 'churned') as to_tier,
        case
            when current_tiers.customer_id is null
                then coalesce(previous_contributions.gross_contribution, 0)
            else coalesce(current_contributions.gross_contribution, 0)
        end as contribution
    from customers_of_either_month
    left join customer_tiers as current_tiers
        on
            customers_of_either_month.customer_id = current_tiers.customer_id
            and customers_of_either_month.month = current_tiers.month
    left join customer_tiers as previous_tiers
        on
            customers_of_either_month.customer_id = previous_tiers.customer_id
            and customers_of_either_month.previous_month = previous_tiers.month
    left join contributions as current_contributions
        on
            customers_of_either_month.customer_id = current_contributions.customer_id
            and customers_of_either_month.month = current_contributions.month
    left join contributions as previous_contributions
        on
            customers_of_either_month.customer_id = previous_contributions.customer_id
            and customers_of_either_month.previous_month = previous_contributions.month

),

final as (

    select
        month,
        from_tier,
        to_tier,
        cast(count(*) as integer) as customers,
        cast(sum(contribution) as numeric(18, 2)) as contribution
    from tiers_of_both_months_joined
    group by
        month,
        from_tier,
        to_tier

)

select * from final
where {{ rebuilt_months(scope) }}
