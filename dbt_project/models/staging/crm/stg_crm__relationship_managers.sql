with

source as (

    select * from {{ source('crm', 'relationship_managers') }}

),

latest_versions as (

    {{ latest_versions('source', 'rm_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(rm_id as {{ dbt.type_string() }}) as rm_id,
        cast(full_name as {{ dbt.type_string() }}) as rm_name,
        cast(team as {{ dbt.type_string() }}) as team_name,
        cast(branch_id as {{ dbt.type_string() }}) as branch_id,
        cast(hired_date as date) as hired_date,
        cast(annual_cost as numeric(18, 2)) as annual_cost,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
