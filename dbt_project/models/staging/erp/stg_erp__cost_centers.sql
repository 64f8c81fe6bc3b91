with

source as (

    select * from {{ source('erp', 'cost_centers') }}

),

latest_versions as (

    {{ latest_versions(
        'source', 'cost_center_id, valid_from', 'valid_from desc, _loaded_at desc'
    ) }}

),

renamed as (

    select
        cast(cost_center_id as text) as cost_center_id,
        cast(cost_center_name as text) as cost_center_name,
        cast(cost_center_type as text) as cost_center_type,
        cast(branch_id as text) as branch_id,
        cast(region as text) as region,
        cast(valid_from as date) as valid_from_date,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
