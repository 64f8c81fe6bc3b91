-- Corporate group dimension (集团客户): one row per group core banking
-- records, with its parent company and how many members of each role it has.
-- Members are the customers whose current record carries the group_id; a
-- group's name is its parent's (dim_customer, masked for BI readers).
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

group_members as (

    select
        group_id,
        customer_id,
        group_role,
        branch_id,
        industry,
        status
    from customers
    where group_id is not null

),

final as (

    select
        group_id,
        min(customer_id) filter (where group_role = 'parent') as parent_customer_id,
        min(branch_id) filter (where group_role = 'parent') as parent_branch_id,
        min(industry) filter (where group_role = 'parent') as parent_industry,
        cast(count(*) as integer) as member_count,
        cast(count(*) filter (where group_role = 'subsidiary') as integer) as subsidiary_count,
        cast(
            count(*) filter (where group_role = 'related_party') as integer
        ) as related_party_count,
        cast(count(*) filter (where status <> 'closed') as integer) as open_member_count
    from group_members
    group by group_id

)

select * from final
{{ unless_closed_months_changed() }}
