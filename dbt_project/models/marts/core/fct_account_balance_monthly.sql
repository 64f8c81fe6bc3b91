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

-- Ephemeral: the month filter reaches the scan of the staging balances.
account_balances as (

    select * from {{ ref('int_account_balances_joined') }}
    where {{ rebuilt_months(scope, 'balance_date') }}

),

final as (

    select
        account_id,
        month,
        balance_date,
        customer_id,
        product_code,
        product_family,
        branch_id,
        days_in_month,
        cast(average_balance as numeric(18, 2)) as average_balance,
        cast(month_end_balance as numeric(18, 2)) as month_end_balance,
        cast(interest_accrued as numeric(18, 2)) as interest_accrued
    from account_balances

)

select * from final
