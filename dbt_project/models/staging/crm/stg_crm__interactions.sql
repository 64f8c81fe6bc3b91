with

source as (

    select * from {{ source('crm', 'interactions') }}

),

latest_versions as (

    {{ latest_versions('source', 'interaction_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(interaction_id as {{ dbt.type_string() }}) as interaction_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(rm_id as {{ dbt.type_string() }}) as rm_id,
        cast(interaction_type as {{ dbt.type_string() }}) as interaction_type,
        cast(occurred_at as {{ type_timestamptz() }}) as occurred_at,
        cast(follow_up_due_date as date) as follow_up_due_date,
        cast(follow_up_done_date as date) as follow_up_done_date,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
