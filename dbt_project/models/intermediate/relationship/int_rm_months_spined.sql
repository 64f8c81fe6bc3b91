-- One row per relationship manager and reporting month: the spine that
-- int_rm_months_measured and its measure models join on, so that months
-- without activity still have a row. Carries the month end and the previous
-- month end (the day before the month starts) that the month-end measures
-- compare with, and whether the month has a previous reporting month (the
-- first has none, so it has no retention base).
with

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

final as (

    select
        relationship_managers.rm_id,
        reporting_months.month,
        reporting_months.month_end_date,
        cast(reporting_months.month - interval '1 day' as date) as previous_month_end_date,
        reporting_months.month > min(reporting_months.month) over () as has_previous_month
    from relationship_managers
    cross join reporting_months

)

select * from final
{{ unless_closed_months_changed() }}
