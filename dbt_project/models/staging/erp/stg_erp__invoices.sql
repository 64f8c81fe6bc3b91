with

source as (

    select * from {{ source('erp', 'invoices') }}

),

latest_versions as (

    {{ latest_versions('source', 'invoice_id', 'issued_date desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(billing_account_id as {{ dbt.type_string() }}) as billing_account_id,
        cast(billing_name as {{ dbt.type_string() }}) as billing_name,
        cast(registration_no as {{ dbt.type_string() }}) as registration_number,
        cast(service_type as {{ dbt.type_string() }}) as service_type,
        cast(amount as numeric(18, 2)) as invoiced_amount,
        cast(issued_date as date) as issued_date,
        cast(due_date as date) as due_date,
        cast(paid_date as date) as paid_date,
        cast(paid_amount as numeric(18, 2)) as paid_amount,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
