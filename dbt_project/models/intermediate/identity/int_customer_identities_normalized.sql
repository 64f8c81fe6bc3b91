-- One row per core-banking customer with the normalized attributes that CRM
-- contacts and ERP billing accounts are matched on: national ID, phone,
-- e-mail and two name keys (see macros/identity/). Each key is stored as its
-- keyed hash (identity_hash), taken after normalizing, so the matching models
-- hash their side the same way and compare hashes. A table indexed on every
-- key, so each matching rule is an equality lookup.
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['customer_id'], 'unique': true},
            {'columns': ['national_id_key']},
            {'columns': ['phone_key']},
            {'columns': ['email_key']},
            {'columns': ['name_key']},
            {'columns': ['name_token_key']},
        ]
    )
}}

with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

company_name_suffixes as (

    select * from {{ ref('company_name_suffixes') }}

),

customer_attributes_normalized as (

    select
        customer_id,
        customer_type,
        {{ identity_national_id_key('national_id') }} as national_id_key,
        {{ identity_phone_key('phone') }} as phone_key,
        {{ identity_email_key('email') }} as email_key,
        {{ identity_normalized_text('full_name') }} as normalized_name
    from customers

),

{{ identity_name_keys(
    'customer_attributes_normalized', ['customer_id'], 'company_name_suffixes',
    'customer_name_keys'
) }},

final as (

    select
        customer_attributes_normalized.customer_id,
        customer_attributes_normalized.customer_type,
        {{ identity_hash('customer_attributes_normalized.national_id_key') }} as national_id_key,
        {{ identity_hash('customer_attributes_normalized.phone_key') }} as phone_key,
        {{ identity_hash('customer_attributes_normalized.email_key') }} as email_key,
        {{ identity_hash('customer_name_keys.name_key') }} as name_key,
        {{ identity_hash('customer_name_keys.name_token_key') }} as name_token_key
    from customer_attributes_normalized
    inner join customer_name_keys
        on customer_attributes_normalized.customer_id = customer_name_keys.customer_id

)

select * from final
{{ unless_closed_months_changed() }}
