with

source as (

    select * from {{ source('crm', 'campaign_responses') }}

),

latest_versions as (

    {{ latest_versions('source', 'response_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(response_id as text) as response_id,
        cast(campaign_id as text) as campaign_id,
        cast(contact_id as text) as contact_id,
        cast(channel as text) as channel,
        cast(response as text) as response,
        cast(responded_at as timestamptz) as responded_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
