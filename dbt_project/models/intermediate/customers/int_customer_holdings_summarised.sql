-- Holdings and balances per customer: open accounts by product family
-- (dim_account, open today) and the month-end balances of the latest month
-- end with balances (fct_account_balance_monthly), deposits, loans, cards
-- and wealth, with AUM (deposits plus wealth). One row per customer with an
-- open account or a balance at that month end: a customer can have a
-- month-end balance on an account closed since, and an open account without
-- a balance yet. Absent facts stay null; customer_360 shows them as 0.
{%- set product_families = product_families() %}
with

accounts as (

    select * from {{ ref('dim_account') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

account_balances as (

    select * from {{ ref('fct_account_balance_monthly') }}

),

holdings_by_customer as (

    select
        customer_id,
        {%- for family in product_families %}
        count(*) filter (where product_family = '{{ family }}') as {{ family }}_account_count,
        {%- endfor %}
        {%- for family in product_families %}
        bool_or(product_family = '{{ family }}') as has_{{ family }},
        {%- endfor %}
        count(distinct product_code) as product_count,
        count(*) as open_account_count
    from accounts
    where is_open
    group by customer_id

),

latest_balance_date as (

    select max(balance_date) as balance_date
    from account_balances

),

latest_balances_by_customer as (

    select
        account_balances.customer_id,
        sum(account_balances.month_end_balance) filter (
            where products.is_deposit
        ) as deposit_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'loan'
        ) as loan_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'card'
        ) as card_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'wealth'
        ) as wealth_balance_aum
    from account_balances
    inner join latest_balance_date
        on account_balances.balance_date = latest_balance_date.balance_date
    inner join products
        on account_balances.product_code = products.product_code
    group by account_balances.customer_id

),

customers_with_holdings as (

    select customer_id from holdings_by_customer
    union
    select customer_id from latest_balances_by_customer

),

final as (

    select
        customers_with_holdings.customer_id,
        holdings_by_customer.product_count,
        holdings_by_customer.open_account_count,
        {%- for family in product_families %}
        holdings_by_customer.{{ family }}_account_count,
        {%- endfor %}
        {%- for family in product_families %}
        holdings_by_customer.has_{{ family }},
        {%- endfor %}
        -- On every row, so that customer_360 reads the as-of date of the
        -- balances from this table alone.
        latest_balance_date.balance_date as balances_as_of_date,
        latest_balances_by_customer.deposit_balance,
        latest_balances_by_customer.loan_balance,
        latest_balances_by_customer.card_balance,
        latest_balances_by_customer.wealth_balance_aum,
        -- AUM: assets the customer keeps with the bank (deposits and wealth).
        coalesce(latest_balances_by_customer.deposit_balance, 0)
        + coalesce(latest_balances_by_customer.wealth_balance_aum, 0) as total_aum
    from customers_with_holdings
    cross join latest_balance_date
    left join holdings_by_customer
        on customers_with_holdings.customer_id = holdings_by_customer.customer_id
    left join latest_balances_by_customer
        on customers_with_holdings.customer_id = latest_balances_by_customer.customer_id

)

select * from final
