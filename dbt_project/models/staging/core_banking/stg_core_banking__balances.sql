-- On Spark the table is partitioned by balance_date, the month or day a version
-- belongs to for good (partition_by; PostgreSQL ignores it).
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        unique_key=['account_id', 'balance_date'],
        partition_by='balance_date',
        indexes=[
            {'columns': ['account_id', 'balance_date'], 'unique': true},
        ]
    )
}}

{%- set lineage = incremental_lineage() %}

with

source as (

    select * from {{ source('core_banking', 'balances') }}
    where {{ landed_since(lineage) }}

),

renamed as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(balance_date as date) as balance_date,
        cast(month_end_balance as numeric(18, 2)) as month_end_balance,
        cast(average_balance as numeric(18, 2)) as average_balance,
        cast(interest_accrued as numeric(18, 2)) as interest_accrued,
        cast(days_in_month as integer) as days_in_month,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source

),

versions as (

    {{ with_current_versions('renamed', 'account_id, balance_date', lineage) }}

),

latest_versions as (

    {{ latest_versions('versions', 'account_id, balance_date', 'updated_at desc, loaded_at desc') }}

)

select * from latest_versions
