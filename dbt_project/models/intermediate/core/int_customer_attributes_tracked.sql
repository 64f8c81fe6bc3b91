-- One row per core-banking customer with the attributes whose history
-- dim_customer keeps (type 2): the descriptive columns of the customer and
-- the relationship manager. attributes_updated_at is business time: the later
-- of the customer's own update and its RM assignment's contact update, so the
-- snapshot's valid_from does not depend on when the snapshot ran.
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

customer_rm_assignments as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

customers_joined_to_rms as (

    select
        customers.customer_id,
        customers.customer_type,
        customers.full_name,
        customers.segment,
        customers.industry,
        customers.branch_id,
        customers.region,
        customers.onboarded_date,
        customers.status,
        customers.closed_date,
        customers.credit_rating,
        (
            customers.status <> 'closed'
            and customers.closed_date is null
        ) as is_active,
        customer_rm_assignments.rm_id,
        greatest(
            customers.updated_at,
            customer_rm_assignments.contact_updated_at
        ) as attributes_updated_at
    from customers
    left join customer_rm_assignments
        on customers.customer_id = customer_rm_assignments.customer_id

),

final as (

    select * from customers_joined_to_rms

)

select * from final
{{ unless_closed_months_changed() }}
