with

source as (

    select * from {{ source('erp', 'unit_costs') }}

),

latest_versions as (

    {{ latest_versions('source', 'period, activity', 'period desc, _loaded_at desc') }}

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
