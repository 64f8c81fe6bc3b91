-- Grain: one row per posted core-banking transaction (transaction_id).
-- Incremental (macros/incremental/incremental_lineage.sql): a night merges
-- the transactions its batches landed, and every transaction of an account
-- whose product or branch a batch may have changed. The unique index on
-- transaction_id lets that merge find the rows it replaces by key instead of
-- scanning the whole table, and keeps the grain checked in the database.
{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'delete+insert',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
        ],
        on_schema_change='fail',
        pre_hook="{{ truncate_unless_incremental() }}",
        post_hook="{{ incremental_lineage_comment() }}"
    )
}}

{%- set lineage = incremental_lineage() %}
{#- Most nights change no account: then the fact table merges the new
    transactions alone, without reading the whole staging table. -#}
{%- set accounts_changed = not lineage.full and lineage.batch_ids and run_query(
    'select exists (select from ' ~ ref('stg_core_banking__accounts') ~ ' where '
    ~ landed_since(lineage, 'loaded_at', 'batch_id') ~ ')'
).columns[0].values()[0] %}

with

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

{% if lineage.full %}

transactions_to_build as (

    select * from transactions

),

{% else %}

transactions_to_build as (

    select * from transactions
    where {{ landed_since(lineage, 'loaded_at', 'batch_id') }}
    {%- if accounts_changed %}

    union

    select * from transactions
    where account_id in (
        select account_id from accounts
        where {{ landed_since(lineage, 'loaded_at', 'batch_id') }}
    )
    {%- endif %}

),

{% endif %}

transactions_joined_to_accounts as (

    select
        transactions_to_build.transaction_id,
        transactions_to_build.account_id,
        transactions_to_build.customer_id,
        accounts.product_code,
        accounts.branch_id,
        transactions_to_build.posted_at,
        cast({{ utc_wall_clock('transactions_to_build.posted_at') }} as date) as posted_date,
        cast(
            date_trunc('month', {{ utc_wall_clock('transactions_to_build.posted_at') }}) as date
        ) as month,
        transactions_to_build.channel,
        transactions_to_build.transaction_type,
        cast(transactions_to_build.amount as numeric(18, 2)) as amount
    from transactions_to_build
    left join accounts
        on transactions_to_build.account_id = accounts.account_id

),

final as (

    select * from transactions_joined_to_accounts

)

select * from final
