with

source as (

    select * from {{ source('erp', 'gl_postings') }}

),

latest_versions as (

    {{ latest_versions('source', 'posting_id', 'posting_date desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(posting_id as {{ dbt.type_string() }}) as gl_posting_id,
        cast(posting_date as date) as posted_date,
        cast(period as {{ dbt.type_string() }}) as accounting_period,
        cast(gl_account as {{ dbt.type_string() }}) as gl_account,
        cast(gl_line as {{ dbt.type_string() }}) as gl_line,
        cast(cost_center_id as {{ dbt.type_string() }}) as cost_center_id,
        cast(amount as numeric(18, 2)) as amount,
        cast(currency as {{ dbt.type_string() }}) as currency_code,
        cast(description as {{ dbt.type_string() }}) as posting_description,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
