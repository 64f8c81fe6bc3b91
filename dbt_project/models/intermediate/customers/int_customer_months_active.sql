-- One row per customer and reporting month in which the customer was active:
-- onboarded on or before the month end and not closed before the month start.
-- Adds the inputs of the tier rules: whole months of tenure at the month end
-- and the highest days past due over the customer's loan snapshots that month.
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
        ]
    )
}}

with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

loans as (

    select * from {{ ref('stg_core_banking__loans') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

customer_months_joined as (

    select
        customers.customer_id,
        reporting_months.month,
        reporting_months.month_end_date,
        cast(
            {{ whole_months_between(
                'reporting_months.month_end_date', 'customers.onboarded_date'
            ) }}
            as integer
        ) as tenure_months
    from customers
    inner join reporting_months
        on
            customers.onboarded_date <= reporting_months.month_end_date
            and (
                customers.closed_date is null
                or customers.closed_date >= reporting_months.month
            )

),

loan_delinquency_by_customer_month as (

    select
        customer_id,
        cast(date_trunc('month', snapshot_date) as date) as month,
        max(days_past_due) as max_days_past_due
    from loans
    group by
        customer_id,
        cast(date_trunc('month', snapshot_date) as date)

),

final as (

    select
        customer_months_joined.customer_id,
        customer_months_joined.month,
        customer_months_joined.month_end_date,
        customer_months_joined.tenure_months,
        coalesce(loan_delinquency_by_customer_month.max_days_past_due, 0) as max_days_past_due
    from customer_months_joined
    left join loan_delinquency_by_customer_month
        on
            customer_months_joined.customer_id = loan_delinquency_by_customer_month.customer_id
            and customer_months_joined.month = loan_delinquency_by_customer_month.month

)

select * from final
{{ unless_closed_months_changed() }}
