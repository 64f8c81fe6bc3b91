with

source as (

    select * from {{ source('crm', 'surveys') }}

),

latest_versions as (

    {{ latest_versions('source', 'survey_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(survey_id as {{ dbt.type_string() }}) as survey_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(score as integer) as satisfaction_score,
        cast(responded_at as {{ type_timestamptz() }}) as responded_at,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
