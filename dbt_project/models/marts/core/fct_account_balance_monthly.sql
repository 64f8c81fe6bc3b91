-- Grain: one row per account and month with a month-end balance snapshot
-- (account_id, month).
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch. The grain is a unique index: PostgreSQL
-- refuses a duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['account_id', 'month'], 'unique': true},
        ]
    )
}}

{%- set scope = month_scope(incremental_lineage()) %}

with

balances as (

    select * from {{ ref('stg_core_banking__balances') }}
    where {{ rebuilt_months(scope, 'balance_date') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

balances_joined_to_accounts as (

    select
        balances.account_id,
        cast(date_trunc('month', balances.balance_date) as date) as month,
        balances.balance_date,
        accounts.customer_id,
        accounts.product_code,
        products.product_family,
        accounts.branch_id,
        balances.days_in_month,
        cast(balances.average_balance as numeric(18, 2)) as average_balance,
        cast(balances.month_end_balance as numeric(18, 2)) as month_end_balance,
        cast(balances.interest_accrued as numeric(18, 2)) as interest_accrued
    from balances
    inner join accounts
        on balances.account_id = accounts.account_id
    inner join products
        on accounts.product_code = products.product_code

),

final as (

    select * from balances_joined_to_accounts

)

select * from final
