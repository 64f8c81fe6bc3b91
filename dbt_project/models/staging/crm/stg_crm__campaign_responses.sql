with

source as (

    select * from {{ source('crm', 'campaign_responses') }}

),

latest_versions as (

    {{ latest_versions('source', 'response_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(response as {{ dbt.type_string() }}) as response,
        cast(responded_at as {{ type_timestamptz() }}) as responded_at,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
