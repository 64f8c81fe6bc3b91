with

source as (

    select * from {{ source('erp', 'unit_costs') }}

),

versions_ranked as (

    select
        *,
        row_number() over (
            partition by period, activity
            order by period desc, _loaded_at desc
        ) as version_rank
    from source

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

renamed as (

    select
        cast(period as text) as accounting_period,
        cast(activity as text) as activity,
        cast(unit_cost as numeric(18, 2)) as unit_cost,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
