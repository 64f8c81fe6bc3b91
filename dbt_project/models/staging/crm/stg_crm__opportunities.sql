with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

latest_versions as (

    {{ latest_versions('source', 'opportunity_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(opportunity_id as text) as opportunity_id,
        cast(contact_id as text) as contact_id,
        cast(rm_id as text) as rm_id,
        cast(product_code as text) as product_code,
        cast(intended_amount as numeric(18, 2)) as intended_amount,
        cast(stage as text) as stage,
        cast(expected_close_date as date) as expected_close_date,
        cast(booked_amount as numeric(18, 2)) as booked_amount,
        cast(closed_date as date) as closed_date,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
