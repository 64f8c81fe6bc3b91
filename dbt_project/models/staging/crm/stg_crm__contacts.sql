with

source as (

    select * from {{ source('crm', 'contacts') }}

),

latest_versions as (

    {{ latest_versions('source', 'contact_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(cif as {{ dbt.type_string() }}) as claimed_customer_id,
        cast(full_name as {{ dbt.type_string() }}) as full_name,
        cast(national_id as {{ dbt.type_string() }}) as national_id,
        cast(phone as {{ dbt.type_string() }}) as phone,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(contact_type as {{ dbt.type_string() }}) as contact_type,
        cast(rm_id as {{ dbt.type_string() }}) as rm_id,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
