-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['fee_posting_id'], 'unique': true},
        ]
    )
}}

with

source as (

    select * from {{ source('core_banking', 'fee_postings') }}

),

latest_versions as (

    {{ latest_versions('source', 'fee_id', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(fee_id as bigint) as fee_posting_id,
        cast(customer_id as text) as customer_id,
        cast(account_id as text) as account_id,
        cast(branch_id as text) as branch_id,
        cast(fee_category as text) as fee_category,
        cast(amount as numeric(18, 2)) as amount,
        cast(posted_date as date) as posted_date,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
