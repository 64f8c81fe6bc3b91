with

source as (

    select * from {{ source('core_banking', 'accounts') }}

),

latest_versions as (

    {{ latest_versions('source', 'account_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(product_code as {{ dbt.type_string() }}) as product_code,
        cast(branch_id as {{ dbt.type_string() }}) as branch_id,
        cast(currency as {{ dbt.type_string() }}) as currency_code,
        cast(opened_date as date) as opened_date,
        cast(closed_date as date) as closed_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(interest_rate as numeric(9, 6)) as interest_rate,
        cast(term_months as integer) as term_months,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
