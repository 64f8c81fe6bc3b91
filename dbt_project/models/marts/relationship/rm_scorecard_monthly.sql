-- Relationship-manager scorecard: one row per month and manager (scope 'rm')
-- plus one row per month and team (scope 'team', rm_id null). Contribution
-- comes from contribution_by_rm_monthly, every other input from
-- int_rm_months_measured. Team rows sum the managers' numerators and
-- denominators first and only then divide, so a team ratio is never an
-- average of manager ratios. A ratio is null when its denominator is 0.
with

relationship_managers as (

    select * from {{ ref('dim_relationship_manager') }}

),

rm_months_measured as (

    select * from {{ ref('int_rm_months_measured') }}

),

contributions_by_rm as (

    select * from {{ ref('contribution_by_rm_monthly') }}
    where rm_id is not null

),

rm_months_joined_to_contribution as (

    select
        rm_months_measured.month,
        relationship_managers.team_name,
        rm_months_measured.rm_id,
        relationship_managers.rm_name,
        coalesce(contributions_by_rm.customer_count, 0) as customers,
        coalesce(contributions_by_rm.gross_contribution, 0) as gross_contribution,
        coalesce(contributions_by_rm.net_contribution, 0) as net_contribution,
        rm_months_measured.new_customers_won,
        rm_months_measured.surveys,
        rm_months_measured.satisfaction_score_total,
        rm_months_measured.opportunities_won,
        rm_months_measured.opportunities_lost,
        rm_months_measured.won_intended_amount,
        rm_months_measured.won_booked_amount,
        rm_months_measured.won_forecast_error_amount,
        rm_months_measured.billed_amount,
        rm_months_measured.receivables_outstanding,
        rm_months_measured.receivables_outstanding_previous,
        rm_months_measured.follow_ups_due,
        rm_months_measured.follow_ups_done_on_time,
        rm_months_measured.retention_base_customers,
        rm_months_measured.retained_customers
    from rm_months_measured
    inner join relationship_managers
        on rm_months_measured.rm_id = relationship_managers.rm_id
    left join contributions_by_rm
        on
            rm_months_measured.rm_id = contributions_by_rm.rm_id
            and rm_months_measured.month = contributions_by_rm.month

),

rm_rows as (

    select
        month,
        'rm' as scope,
        team_name,
        rm_id,
        rm_name,
        customers,
        gross_contribution,
        lag(gross_contribution) over (
            partition by rm_id order by month
        ) as gross_contribution_previous_month,
        net_contribution,
        lag(net_contribution) over (
            partition by rm_id order by month
        ) as net_contribution_previous_month,
        new_customers_won,
        surveys,
        satisfaction_score_total,
        opportunities_won,
        opportunities_lost,
        won_intended_amount,
        won_booked_amount,
        won_forecast_error_amount,
        billed_amount,
        receivables_outstanding,
        receivables_outstanding_previous,
        follow_ups_due,
        follow_ups_done_on_time,
        retention_base_customers,
        retained_customers
    from rm_months_joined_to_contribution

),

team_rows as (

    select
        month,
        'team' as scope,
        team_name,
        cast(null as {{ type_text() }}) as rm_id,
        cast(null as {{ type_text() }}) as rm_name,
        sum(customers) as customers,
        sum(gross_contribution) as gross_contribution,
        sum(gross_contribution_previous_month) as gross_contribution_previous_month,
        sum(net_contribution) as net_contribution,
        sum(net_contribution_previous_month) as net_contribution_previous_month,
        sum(new_customers_won) as new_customers_won,
        sum(surveys) as surveys,
        sum(satisfaction_score_total) as satisfaction_score_total,
        sum(opportunities_won) as opportunities_won,
        sum(opportunities_lost) as opportunities_lost,
        sum(won_intended_amount) as won_intended_amount,
        sum(won_booked_amount) as won_booked_amount,
        sum(won_forecast_error_amount) as won_forecast_error_amount,
        sum(billed_amount) as billed_amount,
        sum(receivables_outstanding) as receivables_outstanding,
        sum(receivables_outstanding_previous) as receivables_outstanding_previous,
        sum(follow_ups_due) as follow_ups_due,
        sum(follow_ups_done_on_time) as follow_ups_done_on_time,
        sum(retention_base_customers) as retention_base_customers,
        sum(retained_customers) as retained_customers
    from rm_rows
    group by month, team_name

),

scopes_unioned as (

    select * from rm_rows
    union all
    select * from team_rows

),

final as (

    select
        month,
        scope,
        team_name,
        rm_id,
        rm_name,
        cast(customers as integer) as customers,
        cast(gross_contribution as numeric(18, 2)) as gross_contribution,
        cast(gross_contribution_previous_month as numeric(18, 2))
            as gross_contribution_previous_month,
        cast(
            case
                when gross_contribution_previous_month <> 0
                    then (gross_contribution - gross_contribution_previous_month)
                        / abs(gross_contribution_previous_month)
            end as numeric(18, 6)
        ) as gross_contribution_growth_rate,
        cast(net_contribution as numeric(18, 2)) as net_contribution,
        cast(net_contribution_previous_month as numeric(18, 2))
            as net_contribution_previous_month,
        cast(
            case
                when net_contribution_previous_month <> 0
                    then (net_contribution - net_contribution_previous_month)
                        / abs(net_contribution_previous_month)
            end as numeric(18, 6)
        ) as net_contribution_growth_rate,
        cast(retention_base_customers as integer) as retention_base_customers,
        cast(retained_customers as integer) as retained_customers,
        cast(
            case
                when retention_base_customers > 0
                    then cast(retained_customers as numeric)
                        / retention_base_customers
            end as numeric(18, 6)
        ) as retention_rate,
        cast(new_customers_won as integer) as new_customers_won,
        cast(surveys as integer) as surveys,
        cast(satisfaction_score_total as integer) as satisfaction_score_total,
        cast(
            case
                when surveys > 0
                    then cast(satisfaction_score_total as numeric) / surveys
            end as numeric(18, 6)
        ) as average_satisfaction_score,
        cast(opportunities_won as integer) as opportunities_won,
        cast(opportunities_lost as integer) as opportunities_lost,
        cast(
            case
                when opportunities_won + opportunities_lost > 0
                    then cast(opportunities_won as numeric)
                        / (opportunities_won + opportunities_lost)
            end as numeric(18, 6)
        ) as win_rate,
        cast(won_intended_amount as numeric(18, 2)) as won_intended_amount,
        cast(won_booked_amount as numeric(18, 2)) as won_booked_amount,
        cast(won_forecast_error_amount as numeric(18, 2)) as won_forecast_error_amount,
        cast(
            case
                when won_intended_amount <> 0
                    then 1 - won_forecast_error_amount / won_intended_amount
            end as numeric(18, 6)
        ) as forecast_accuracy,
        cast(
            case
                when won_intended_amount <> 0
                    then won_booked_amount / won_intended_amount
            end as numeric(18, 6)
        ) as booked_to_intended_ratio,
        cast(billed_amount as numeric(18, 2)) as billed_amount,
        cast(receivables_outstanding_previous as numeric(18, 2))
            as receivables_outstanding_previous,
        cast(receivables_outstanding as numeric(18, 2)) as receivables_outstanding,
        cast(
            case
                when receivables_outstanding_previous + receivables_outstanding <> 0
                    then billed_amount * 12
                        / (
                            (receivables_outstanding_previous + receivables_outstanding) / 2
                        )
            end as numeric(18, 6)
        ) as receivables_turnover,
        cast(follow_ups_due as integer) as follow_ups_due,
        cast(follow_ups_done_on_time as integer) as follow_ups_done_on_time,
        cast(
            case
                when follow_ups_due > 0
                    then cast(follow_ups_done_on_time as numeric) / follow_ups_due
            end as numeric(18, 6)
        ) as follow_up_on_time_rate
    from scopes_unioned

)

select * from final
{{ unless_closed_months_changed() }}
