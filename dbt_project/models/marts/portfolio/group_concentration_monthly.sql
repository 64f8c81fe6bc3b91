-- Contribution, exposure and concentration per corporate group (集团客户) and
-- month: the group is one name for concentration risk, so its members'
-- figures are summed and held against the same cap as a single customer
-- (seed concentration_limits). Members are the customers whose current
-- core-banking record carries the group_id.
--   contribution_l12m_share  the group's 12-month gross contribution (sum of
--                            its members' contribution_l12m, customer_tier_monthly)
--                            over the month's total positive contribution_l12m,
--                            the denominator of contribution_concentration
--   credit_exposure_share    the group's month-end credit exposure over all
--                            customers' credit exposure of the month
-- A negative group total counts as a share of 0.
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

concentration_limits as (

    select * from {{ ref('concentration_limits') }}

),

customer_months as (

    select
        coalesce(contributions.customer_id, customer_tiers.customer_id) as customer_id,
        coalesce(contributions.month, customer_tiers.month) as month,
        coalesce(contributions.gross_contribution, 0) as gross_contribution,
        coalesce(contributions.net_contribution, 0) as net_contribution,
        coalesce(contributions.credit_exposure, 0) as credit_exposure,
        coalesce(customer_tiers.contribution_l12m, 0) as contribution_l12m
    from contributions
    full outer join customer_tiers
        on
            contributions.customer_id = customer_tiers.customer_id
            and contributions.month = customer_tiers.month

),

month_totals as (

    select
        month,
        sum(contribution_l12m) filter (where contribution_l12m > 0) as positive_contribution_l12m,
        sum(credit_exposure) as credit_exposure
    from customer_months
    group by month

),

group_months as (

    select
        customers.group_id,
        customer_months.month,
        cast(count(*) as integer) as member_count,
        cast(sum(customer_months.gross_contribution) as numeric(18, 2)) as gross_contribution,
        cast(sum(customer_months.net_contribution) as numeric(18, 2)) as net_contribution,
        cast(sum(customer_months.credit_exposure) as numeric(18, 2)) as credit_exposure,
        cast(sum(customer_months.contribution_l12m) as numeric(18, 2)) as contribution_l12m
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    where customers.group_id is not null
    group by
        customers.group_id,
        customer_months.month

),

shares_measured as (

    select
        group_months.*,
        cast(
            greatest(group_months.contribution_l12m, 0)
            / nullif(month_totals.positive_contribution_l12m, 0)
            as numeric(12, 10)
        ) as contribution_l12m_share,
        cast(
            greatest(group_months.credit_exposure, 0)
            / nullif(month_totals.credit_exposure, 0)
            as numeric(12, 10)
        ) as credit_exposure_share,
        concentration_limits.largest_customer_share_cap as share_cap
    from group_months
    inner join month_totals
        on group_months.month = month_totals.month
    cross join concentration_limits

),

final as (

    select
        group_id,
        month,
        member_count,
        gross_contribution,
        net_contribution,
        credit_exposure,
        contribution_l12m,
        contribution_l12m_share,
        credit_exposure_share,
        coalesce(contribution_l12m_share > share_cap, false)
        or coalesce(credit_exposure_share > share_cap, false) as is_above_concentration_cap,
        cast(
            rank() over (partition by month order by contribution_l12m desc) as integer
        ) as contribution_l12m_rank
    from shares_measured

)

select * from final
{{ unless_closed_months_changed() }}
