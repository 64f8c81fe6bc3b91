with

source as (

    select * from {{ source('crm', 'relationship_managers') }}

),

latest_versions as (

    {{ latest_versions('source', 'rm_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(rm_id as text) as rm_id,
        cast(full_name as text) as rm_name,
        cast(team as text) as team_name,
        cast(branch_id as text) as branch_id,
        cast(hired_date as date) as hired_date,
        cast(annual_cost as numeric(18, 2)) as annual_cost,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
