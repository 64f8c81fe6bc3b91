-- Grain: one row per posted core-banking transaction (transaction_id).
with

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

transactions_joined_to_accounts as (

    select
        transactions.transaction_id,
        transactions.account_id,
        transactions.customer_id,
        accounts.product_code,
        accounts.branch_id,
        transactions.posted_at,
        cast(transactions.posted_at at time zone 'UTC' as date) as posted_date,
        cast(date_trunc('month', transactions.posted_at at time zone 'UTC') as date) as month,
        transactions.channel,
        transactions.transaction_type,
        cast(transactions.amount as numeric(18, 2)) as amount
    from transactions
    left join accounts
        on transactions.account_id = accounts.account_id

),

final as (

    select * from transactions_joined_to_accounts

)

select * from final
