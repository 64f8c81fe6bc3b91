-- On Spark the table is partitioned by posted_date, the month or day a version
-- belongs to for good (partition_by; PostgreSQL ignores it).
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        unique_key='fee_posting_id',
        partition_by='posted_date',
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
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(branch_id as {{ dbt.type_string() }}) as branch_id,
        cast(fee_category as {{ dbt.type_string() }}) as fee_category,
        cast(amount as numeric(18, 2)) as amount,
        cast(posted_date as date) as posted_date,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source

),

versions as (

    {{ with_current_versions('renamed', 'fee_posting_id', lineage) }}

),

latest_versions as (

    {{ latest_versions('versions', 'fee_posting_id', 'updated_at desc, loaded_at desc') }}

)

select * from latest_versions
