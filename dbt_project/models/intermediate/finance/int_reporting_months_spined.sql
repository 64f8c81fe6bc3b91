-- One row per calendar month from the earliest to the latest month that has a
-- month-end balance or a fee posting: the months the marts report on.
with

balances as (

    select * from {{ ref('stg_core_banking__balances') }}

),

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}

),

activity_dates as (

    select balance_date as activity_date from balances

    union all

    select posted_date as activity_date from fee_postings

),

month_bounds as (

    select
        cast(date_trunc('month', min(activity_date)) as timestamp) as first_month_start,
        cast(date_trunc('month', max(activity_date)) as timestamp) as last_month_start
    from activity_dates

),

months_generated as (

    select cast(month_series.month_start as date) as month
    from month_bounds
    cross join lateral generate_series(
        month_bounds.first_month_start,
        month_bounds.last_month_start,
        interval '1 month'
    ) as month_series (month_start)

),

final as (

    select
        month,
        cast(month + interval '1 month' - interval '1 day' as date) as month_end_date,
        cast(
            extract(day from month + interval '1 month' - interval '1 day') as integer
        ) as days_in_month
    from months_generated

)

select * from final
