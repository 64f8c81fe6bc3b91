with

source as (

    select * from {{ source('erp', 'unit_costs') }}

),

latest_versions as (

    {{ latest_versions('source', 'period, activity', 'period desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(period as {{ dbt.type_string() }}) as accounting_period,
        cast(activity as {{ dbt.type_string() }}) as activity,
        cast(unit_cost as numeric(18, 2)) as unit_cost,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
