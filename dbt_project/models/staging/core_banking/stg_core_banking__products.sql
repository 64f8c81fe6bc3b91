with

source as (

    select * from {{ source('core_banking', 'products') }}

),

latest_versions as (

    {{ latest_versions('source', 'product_code', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(product_code as {{ dbt.type_string() }}) as product_code,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(product_family as {{ dbt.type_string() }}) as product_family,
        cast(term_months as integer) as term_months,
        cast(standard_rate as numeric(9, 6)) as standard_rate,
        cast(is_credit as boolean) as is_credit,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
