-- The RM scorecard's pipeline and follow-up measures, per manager and
-- reporting month (int_rm_months_spined): opportunities won and lost and
-- follow-ups due and done on time. Each goes to the manager recorded on the
-- CRM opportunity or interaction, so prospects without a customer still
-- count. Months without activity carry 0.
with

rm_months_spined as (

    select * from {{ ref('int_rm_months_spined') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

interactions as (

    select * from {{ ref('stg_crm__interactions') }}

),

opportunities_by_rm_month as (

    select
        rm_id,
        cast(date_trunc('month', closed_date) as date) as month,
        count(*) filter (where stage = 'won') as opportunities_won,
        count(*) filter (where stage = 'lost') as opportunities_lost,
        sum(intended_amount) filter (where stage = 'won') as won_intended_amount,
        sum(coalesce(booked_amount, 0)) filter (where stage = 'won') as won_booked_amount,
        sum(abs(coalesce(booked_amount, 0) - intended_amount)) filter (
            where stage = 'won'
        ) as won_forecast_error_amount
    from opportunities
    where
        stage in ('won', 'lost')
        and closed_date is not null
        and rm_id is not null
    group by
        rm_id,
        cast(date_trunc('month', closed_date) as date)

),

follow_ups_by_rm_month as (

    select
        rm_id,
        cast(date_trunc('month', follow_up_due_date) as date) as month,
        count(*) as follow_ups_due,
        count(*) filter (
            where follow_up_done_date
            <= follow_up_due_date + {{ var('rm_scorecard_follow_up_grace_days') }}
        ) as follow_ups_done_on_time
    from interactions
    where
        follow_up_due_date is not null
        and rm_id is not null
        and interaction_type
        in {{ sql_string_list(var('rm_scorecard_follow_up_interaction_types')) }}
    group by
        rm_id,
        cast(date_trunc('month', follow_up_due_date) as date)

),

final as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        coalesce(opportunities_by_rm_month.opportunities_won, 0) as opportunities_won,
        coalesce(opportunities_by_rm_month.opportunities_lost, 0) as opportunities_lost,
        cast(
            coalesce(opportunities_by_rm_month.won_intended_amount, 0) as numeric(18, 2)
        ) as won_intended_amount,
        cast(
            coalesce(opportunities_by_rm_month.won_booked_amount, 0) as numeric(18, 2)
        ) as won_booked_amount,
        cast(
            coalesce(opportunities_by_rm_month.won_forecast_error_amount, 0) as numeric(18, 2)
        ) as won_forecast_error_amount,
        coalesce(follow_ups_by_rm_month.follow_ups_due, 0) as follow_ups_due,
        coalesce(follow_ups_by_rm_month.follow_ups_done_on_time, 0) as follow_ups_done_on_time
    from rm_months_spined
    left join opportunities_by_rm_month
        on
            rm_months_spined.rm_id = opportunities_by_rm_month.rm_id
            and rm_months_spined.month = opportunities_by_rm_month.month
    left join follow_ups_by_rm_month
        on
            rm_months_spined.rm_id = follow_ups_by_rm_month.rm_id
            and rm_months_spined.month = follow_ups_by_rm_month.month

)

select * from final
{{ unless_closed_months_changed() }}
