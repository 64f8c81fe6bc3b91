-- Churn state of every customer at each reporting month end, from the
-- customer's onboarding month on (closed customers stay, as churned). A
-- customer is churned at a month end when a churn event has fired on or
-- before it and the customer has not come back by then.
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

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

churn_events as (

    select * from {{ ref('int_customer_churn_events_detected') }}

),

customer_months as (

    select
        customers.customer_id,
        reporting_months.month,
        reporting_months.month_end_date
    from customers
    inner join reporting_months
        on customers.onboarded_date <= reporting_months.month_end_date

),

open_events_by_month as (

    select {{ distinct_on(['customer_months.customer_id', 'customer_months.month']) }}
        customer_months.customer_id,
        customer_months.month,
        churn_events.churn_definition,
        churn_events.churn_date
    from customer_months
    inner join churn_events
        on
            customer_months.customer_id = churn_events.customer_id
            and customer_months.month_end_date >= churn_events.churn_date
            and (
                churn_events.reactivated_date is null
                or customer_months.month_end_date < churn_events.reactivated_date
            )
    {{ first_row_order_by(
        ['customer_months.customer_id', 'customer_months.month'],
        ['churn_events.churn_date', 'churn_events.churn_definition']
    ) }}

),

final as (

    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.month_end_date,
        open_events_by_month.customer_id is not null as is_churned,
        lag(open_events_by_month.customer_id is not null) over (
            partition by customer_months.customer_id
            order by customer_months.month
        ) as was_churned_previous_month,
        open_events_by_month.churn_definition,
        open_events_by_month.churn_date
    from customer_months
    left join open_events_by_month
        on
            customer_months.customer_id = open_events_by_month.customer_id
            and customer_months.month = open_events_by_month.month

)

select * from final
{{ unless_closed_months_changed() }}
