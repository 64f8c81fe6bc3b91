with

source as (

    select * from {{ source('crm', 'relationship_managers') }}

),

versions_ranked as (

    select
        *,
        row_number() over (
            partition by rm_id
            order by updated_at desc, _loaded_at desc
        ) as version_rank
    from source

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

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
