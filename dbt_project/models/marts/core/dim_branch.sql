-- Branch dimension: one row per branch, from the ERP cost centers of type
-- `branch` (the latest version of each, by valid_from_date).
with

cost_centers as (

    select * from {{ ref('stg_erp__cost_centers') }}

),

branch_cost_centers_ranked as (

    select
        cost_center_id,
        cost_center_name,
        branch_id,
        region,
        valid_from_date,
        row_number() over (
            partition by branch_id
            order by valid_from_date desc, cost_center_id desc
        ) as version_rank
    from cost_centers
    where cost_center_type = 'branch'

),

final as (

    select
        branch_id,
        cost_center_name as branch_name,
        region,
        cost_center_id,
        valid_from_date
    from branch_cost_centers_ranked
    where version_rank = 1

)

select * from final
{{ unless_closed_months_changed() }}
