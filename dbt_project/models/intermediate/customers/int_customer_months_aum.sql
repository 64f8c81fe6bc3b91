-- Assets under management (AUM) per customer and month: the month-end
-- balances of the product families in var aum_product_families (deposits and
-- wealth). Loans and cards are not assets the customer keeps with the bank.
-- Shared by the retail sub-tiers and the lifecycle stages.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch. The grain is a unique index: PostgreSQL
-- refuses a duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
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
        customer_id,
        month,
        cast(sum(month_end_balance) as numeric(18, 2)) as aum
    from account_balances
    where product_family in {{ sql_string_list(var('aum_product_families')) }}
    group by
        customer_id,
        month

)

select * from final
