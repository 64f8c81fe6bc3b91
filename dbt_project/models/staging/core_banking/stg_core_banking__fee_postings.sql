-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        unique_key='fee_posting_id',
        indexes=[
            {'columns': ['fee_posting_id'], 'unique': true},
        ]
    )
}}

{%- set lineage = incremental_lineage() %}

with

source as (

    select * from {{ source('core_banking', 'fee_postings') }}
    where {{ landed_since(lineage) }}

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
    from source

),

versions as (

    {{ with_current_versions('renamed', 'fee_posting_id', lineage) }}

),

latest_versions as (

    {{ latest_versions('versions', 'fee_posting_id', 'updated_at desc, loaded_at desc') }}

)

select * from latest_versions
