-- Relationship-manager cost allocated to customers, one row per customer and
-- month in which the customer is active and assigned to a relationship
-- manager. A manager costs annual_cost / 12 in every month from the month of
-- hire on; that monthly cost is split equally over the manager's customers
-- active that month (int_customer_months_active x int_customer_rm_assigned),
-- so the allocated amounts of one manager and month add up to the monthly
-- cost exactly before rounding. Months in which a manager has no active
-- customer leave that cost unallocated (it stays in the branch operating
-- expense residual of contribution_gl_reconciliation).
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}

),

customer_rm_assigned as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

customer_months_joined_to_managers as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        customer_rm_assigned.rm_id,
        -- the annual cost spread over the twelve months of a year
        relationship_managers.annual_cost / 12 as rm_monthly_cost
    from customer_months_active
    inner join customer_rm_assigned
        on customer_months_active.customer_id = customer_rm_assigned.customer_id
    inner join relationship_managers
        on customer_rm_assigned.rm_id = relationship_managers.rm_id
    where relationship_managers.hired_date <= customer_months_active.month_end_date

),

manager_costs_split as (

    select
        customer_id,
        month,
        rm_id,
        rm_monthly_cost,
        count(*) over (partition by rm_id, month) as rm_customer_count
    from customer_months_joined_to_managers

),

final as (

    select
        customer_id,
        month,
        rm_id,
        rm_monthly_cost,
        cast(rm_customer_count as integer) as rm_customer_count,
        rm_monthly_cost / rm_customer_count as relationship_manager_cost
    from manager_costs_split

)

select * from final
