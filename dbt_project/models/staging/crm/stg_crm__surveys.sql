with

source as (

    select * from {{ source('crm', 'surveys') }}

),

versions_ranked as (

    select
        *,
        row_number() over (
            partition by survey_id
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
        cast(survey_id as text) as survey_id,
        cast(contact_id as text) as contact_id,
        cast(score as integer) as satisfaction_score,
        cast(responded_at as timestamptz) as responded_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
