-- customer_lifecycle_monthly has exactly the population of the tier mart:
-- every active customer-month (int_customer_months_active) gets a stage and
-- no other customer-month does. Returns the customer-months on one side only.
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}

),

customer_lifecycle as (

    select * from {{ ref('customer_lifecycle_monthly') }}

),

final as (

    select
        coalesce(customer_months_active.customer_id, customer_lifecycle.customer_id)
            as customer_id,
        coalesce(customer_months_active.month, customer_lifecycle.month) as month,
        customer_months_active.customer_id is null as is_missing_from_active_months,
        customer_lifecycle.customer_id is null as is_missing_from_lifecycle
    from customer_months_active
    full outer join customer_lifecycle
        on
            customer_months_active.customer_id = customer_lifecycle.customer_id
            and customer_months_active.month = customer_lifecycle.month
    where
        customer_months_active.customer_id is null
        or customer_lifecycle.customer_id is null

)

select * from final
