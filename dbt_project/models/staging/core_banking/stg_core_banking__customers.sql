with

source as (

    select * from {{ source('core_banking', 'customers') }}

),

latest_versions as (

    {{ latest_versions('source', 'customer_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(customer_id as text) as customer_id,
        cast(customer_type as text) as customer_type,
        cast(full_name as text) as full_name,
        cast(national_id as text) as national_id,
        cast(phone as text) as phone,
        cast(email as text) as email,
        cast(birth_date as date) as birth_date,
        cast(industry as text) as industry,
        cast(segment as text) as segment,
        cast(branch_id as text) as branch_id,
        cast(region as text) as region,
        cast(onboarded_date as date) as onboarded_date,
        cast(status as text) as status,
        cast(closed_date as date) as closed_date,
        cast(credit_rating as text) as credit_rating,
        cast(group_id as text) as group_id,
        cast(group_role as text) as group_role,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
