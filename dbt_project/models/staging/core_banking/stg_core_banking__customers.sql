with

source as (

    select * from {{ source('core_banking', 'customers') }}

),

latest_versions as (

    {{ latest_versions('source', 'customer_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customer_type as {{ dbt.type_string() }}) as customer_type,
        cast(full_name as {{ dbt.type_string() }}) as full_name,
        cast(national_id as {{ dbt.type_string() }}) as national_id,
        cast(phone as {{ dbt.type_string() }}) as phone,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(birth_date as date) as birth_date,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(branch_id as {{ dbt.type_string() }}) as branch_id,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(onboarded_date as date) as onboarded_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(closed_date as date) as closed_date,
        cast(credit_rating as {{ dbt.type_string() }}) as credit_rating,
        cast(group_id as {{ dbt.type_string() }}) as group_id,
        cast(group_role as {{ dbt.type_string() }}) as group_role,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
