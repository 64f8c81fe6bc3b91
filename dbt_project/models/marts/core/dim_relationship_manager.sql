-- Relationship-manager dimension: one row per RM from CRM, with the number of
-- active customers whose current dim_customer version names the RM.
with

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

active_customers_by_rm as (

    select
        rm_id,
        count(*) as customers_managed_count
    from customers
    where
        is_active
        and rm_id is not null
    group by rm_id

),

final as (

    select
        relationship_managers.rm_id,
        relationship_managers.rm_name,
        relationship_managers.team_name,
        relationship_managers.branch_id,
        relationship_managers.hired_date,
        relationship_managers.annual_cost,
        coalesce(active_customers_by_rm.customers_managed_count, 0) as customers_managed_count
    from relationship_managers
    left join active_customers_by_rm
        on relationship_managers.rm_id = active_customers_by_rm.rm_id

)

select * from final
