-- One row per calendar month from the earliest to the latest month that has
-- month-end balances: the closed months the marts report on. A nightly run in
-- the middle of a month lands that month's transactions, fees and interactions,
-- but the month joins the reports only once core banking has closed it (its
-- month-end balances arrive), so no mart shows a half month as a whole one.
with

balances as (

    select * from {{ ref('stg_core_banking__balances') }}

),

month_bounds as (

    select
        cast(date_trunc('month', min(balance_date)) as timestamp) as first_month_start,
        cast(date_trunc('month', max(balance_date)) as timestamp) as last_month_start
    from balances

),

months_generated as (

    select cast(month_series.month_start as date) as month
    from month_bounds
    cross join lateral {{ series_generated(
        'month_bounds.first_month_start',
        'month_bounds.last_month_start',
        "interval '1 month'"
    ) }} as month_series (month_start)

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
