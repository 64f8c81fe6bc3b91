-- Calendar dimension: one row per day from the first day of the year of the
-- earliest customer onboarding or account opening to the last day of the year
-- of the latest date any fact carries (including expected close and follow-up
-- due dates, which may lie in the future). Built with generate_series.
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

balances as (

    select * from {{ ref('stg_core_banking__balances') }}

),

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}

),

loans as (

    select * from {{ ref('stg_core_banking__loans') }}

),

interactions as (

    select * from {{ ref('stg_crm__interactions') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}

),

earliest_dates as (

    select min(onboarded_date) as first_date from customers

    union all

    select min(opened_date) as first_date from accounts

),

latest_dates as (

    select max(closed_date) as last_date from customers

    union all

    select max(greatest(opened_date, closed_date)) as last_date from accounts

    union all

    select max(balance_date) as last_date from balances

    union all

    select max(cast({{ utc_wall_clock('posted_at') }} as date)) as last_date from transactions

    union all

    select max(posted_date) as last_date from fee_postings

    union all

    select max(snapshot_date) as last_date from loans

    union all

    select
        max(
            greatest(
                cast({{ utc_wall_clock('occurred_at') }} as date),
                follow_up_due_date,
                follow_up_done_date
            )
        ) as last_date
    from interactions

    union all

    select
        max(
            greatest(
                cast({{ utc_wall_clock('created_at') }} as date),
                expected_close_date,
                closed_date
            )
        ) as last_date
    from opportunities

    union all

    select max(cast({{ utc_wall_clock('responded_at') }} as date)) as last_date from surveys

),

date_bounds as (

    select
        cast(date_trunc('year', (select min(first_date) from earliest_dates)) as timestamp)
            as first_day,
        cast(
            date_trunc('year', (select max(last_date) from latest_dates))
            + interval '1 year' - interval '1 day'
            as timestamp
        ) as last_day

),

days_generated as (

    select cast(day_series.day_start as date) as date_day
    from date_bounds
    cross join lateral {{ series_generated(
        'date_bounds.first_day',
        'date_bounds.last_day',
        "interval '1 day'"
    ) }} as day_series (day_start)

),

final as (

    select
        date_day,
        cast(date_trunc('month', date_day) as date) as month,
        cast(date_trunc('month', date_day) + interval '1 month' - interval '1 day' as date)
            as month_end_date,
        cast(date_trunc('quarter', date_day) as date) as quarter_start_date,
        cast(date_trunc('year', date_day) as date) as year_start_date,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        {{ format_date('date_day', 'YYYY-MM') }} as accounting_period,
        {{ format_date('date_day', 'FMMonth') }} as month_name,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast({{ iso_day_of_week('date_day') }} as integer) as day_of_week,
        {{ format_date('date_day', 'FMDay') }} as day_name,
        cast({{ iso_day_of_week('date_day') }} as integer) in (6, 7) as is_weekend,
        date_day = cast(
            date_trunc('month', date_day) + interval '1 month' - interval '1 day' as date
        ) as is_month_end,
        date_day = cast(
            date_trunc('quarter', date_day) + interval '3 months' - interval '1 day' as date
        ) as is_quarter_end,
        extract(month from date_day) = 12 and extract(day from date_day) = 31 as is_year_end
    from days_generated

)

select * from final
