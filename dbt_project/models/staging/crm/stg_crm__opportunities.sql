with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

latest_versions as (

    {{ latest_versions('source', 'opportunity_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(rm_id as {{ dbt.type_string() }}) as rm_id,
        cast(product_code as {{ dbt.type_string() }}) as product_code,
        cast(intended_amount as numeric(18, 2)) as intended_amount,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(expected_close_date as date) as expected_close_date,
        cast(booked_amount as numeric(18, 2)) as booked_amount,
        cast(closed_date as date) as closed_date,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
