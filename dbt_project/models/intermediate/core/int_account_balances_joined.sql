-- Each account's month-end balance row joined to its account and product:
-- one row per account and balance date. The one place the balances, accounts
-- and products are joined for the month tables built on balances
-- (fct_account_balance_monthly, int_account_months_priced,
-- int_customer_months_aum).
--
-- Ephemeral, not a table (dbt_project.yml): those consumers are month tables
-- that read only the months a build rebuilds. Each filters this model on
-- balance_date with rebuilt_months; inlined as a CTE, the filter reaches the
-- scan of the staging balances, so a night reads the rebuilt months alone
-- instead of a table of every month rebuilt whole. Its code still counts in
-- the consumers' lineage record (incremental_lineage walks every parent
-- node, ephemeral or not), so a change here rebuilds them.
with

balances as (

    select * from {{ ref('stg_core_banking__balances') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

final as (

    select
        balances.account_id,
        balances.balance_date,
        cast(date_trunc('month', balances.balance_date) as date) as month,
        accounts.customer_id,
        accounts.product_code,
        products.product_family,
        accounts.branch_id,
        accounts.interest_rate,
        accounts.term_months,
        balances.days_in_month,
        balances.average_balance,
        balances.month_end_balance,
        balances.interest_accrued
    from balances
    inner join accounts
        on balances.account_id = accounts.account_id
    inner join products
        on accounts.product_code = products.product_code

)

select * from final
