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

final as (

    select
        accounts.customer_id,
        cast(date_trunc('month', balances.balance_date) as date) as month,
        cast(sum(balances.month_end_balance) as numeric(18, 2)) as aum
    from balances
    inner join accounts on balances.account_id = accounts.account_id
    inner join products on accounts.product_code = products.product_code
    where products.product_family in {{ sql_string_list(var('aum_product_families')) }}
    group by
        accounts.customer_id,
        cast(date_trunc('month', balances.balance_date) as date)

)

select * from final
