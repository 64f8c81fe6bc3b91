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
        cast(cost_center_id as {{ dbt.type_string() }}) as cost_center_id,
        cast(cost_center_name as {{ dbt.type_string() }}) as cost_center_name,
        cast(cost_center_type as {{ dbt.type_string() }}) as cost_center_type,
        cast(branch_id as {{ dbt.type_string() }}) as branch_id,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(valid_from as date) as valid_from_date,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
