-- Cohort retention: customers onboarded in a reporting month, followed month
-- by month. Retained = not churned at the month end (customer_churn_events'
-- definitions; a customer who came back counts as retained again).
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

churn_states as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

cohort_members as (

    select
        customers.customer_id,
        customers.segment,
        cast(date_trunc('month', customers.onboarded_date) as date) as cohort_month
    from customers
    where
        customers.onboarded_date >= (select min(reporting_months.month) from reporting_months)

),

cohort_months as (

    select
        cohort_members.cohort_month,
        cohort_members.segment,
        churn_states.is_churned,
        cast(
            (extract(year from churn_states.month) - extract(year from cohort_members.cohort_month))
            * 12
            + extract(month from churn_states.month)
            - extract(month from cohort_members.cohort_month)
            as integer
        ) as months_since
    from cohort_members
    inner join churn_states on cohort_members.customer_id = churn_states.customer_id

),

cohorts_counted as (

    select
        cohort_month,
        months_since,
        case when grouping(segment) = 1 then 'all' else segment end as segment,
        count(*) as customers_start,
        count(*) filter (where not is_churned) as customers_retained
    from cohort_months
    group by grouping sets ((cohort_month, months_since, segment), (cohort_month, months_since))

),

final as (

    select
        cohort_month,
        months_since,
        segment,
        customers_start,
        customers_retained,
        cast(customers_retained / cast(customers_start as numeric) as numeric(9, 6))
            as retention_rate
    from cohorts_counted

)

select * from final
{{ unless_closed_months_changed() }}
