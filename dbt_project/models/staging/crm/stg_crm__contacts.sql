with

source as (

    select * from {{ source('crm', 'contacts') }}

),

latest_versions as (

    {{ latest_versions('source', 'contact_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(contact_id as text) as contact_id,
        cast(cif as text) as claimed_customer_id,
        cast(full_name as text) as full_name,
        cast(national_id as text) as national_id,
        cast(phone as text) as phone,
        cast(email as text) as email,
        cast(contact_type as text) as contact_type,
        cast(rm_id as text) as rm_id,
        cast(created_at as timestamptz) as created_at,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
