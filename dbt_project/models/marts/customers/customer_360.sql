-- One row per customer: identity, relationship manager, holdings, balances at
-- the latest month end (CNY), last transaction and latest tier.
with

customers as (

    select * from {{ ref('dim_customer') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

open_accounts_joined_to_products as (

    select
        accounts.customer_id,
        accounts.account_id,
        accounts.product_code,
        products.product_family
    from accounts
    inner join products
        on accounts.product_code = products.product_code
    where
        accounts.status = 'open'
        and accounts.closed_date is null

),

holdings_by_customer as (

    select
        customer_id,
        count(distinct product_code) as product_count,
        count(*) as open_account_count,
        bool_or(product_family = 'current_deposit') as has_current_deposit,
        bool_or(product_family = 'term_deposit') as has_term_deposit,
        bool_or(product_family = 'loan') as has_loan,
        bool_or(product_family = 'card') as has_card,
        bool_or(product_family = 'wealth') as has_wealth
    from open_accounts_joined_to_products
    group by customer_id

),

latest_balance_date as (

    select max(balance_date) as balance_date
    from account_months_priced

),

latest_balances_by_customer as (

    select
        account_months_priced.customer_id,
        sum(account_months_priced.month_end_balance) filter (
            where account_months_priced.is_deposit
        ) as deposit_balance,
        sum(account_months_priced.month_end_balance) filter (
            where account_months_priced.product_family = 'loan'
        ) as loan_balance,
        sum(account_months_priced.month_end_balance) filter (
            where account_months_priced.product_family = 'card'
        ) as card_balance,
        sum(account_months_priced.month_end_balance) filter (
            where account_months_priced.product_family = 'wealth'
        ) as wealth_balance_aum
    from account_months_priced
    inner join latest_balance_date
        on account_months_priced.balance_date = latest_balance_date.balance_date
    group by account_months_priced.customer_id

),

last_transactions_by_customer as (

    select
        customer_id,
        max(posted_at) as last_transaction_at
    from transactions
    group by customer_id

),

customer_tiers_ranked as (

    select
        customer_id,
        month,
        tier,
        tier_reason,
        contribution_l12m,
        row_number() over (partition by customer_id order by month desc) as recency_rank
    from customer_tiers

),

latest_customer_tiers as (

    select * from customer_tiers_ranked
    where recency_rank = 1

),

latest_reporting_month as (

    select max(month) as as_of_month
    from reporting_months

),

final as (

    select
        customers.customer_id,
        customers.customer_type,
        customers.full_name,
        customers.segment,
        customers.industry,
        customers.branch_id,
        customers.region,
        customers.onboarded_date,
        customers.status,
        customers.closed_date,
        customers.credit_rating,
        customers.is_active,
        customers.rm_id,
        relationship_managers.rm_name,
        relationship_managers.team_name as rm_team,
        coalesce(holdings_by_customer.product_count, 0) as product_count,
        coalesce(holdings_by_customer.open_account_count, 0) as open_account_count,
        coalesce(holdings_by_customer.has_current_deposit, false) as has_current_deposit,
        coalesce(holdings_by_customer.has_term_deposit, false) as has_term_deposit,
        coalesce(holdings_by_customer.has_loan, false) as has_loan,
        coalesce(holdings_by_customer.has_card, false) as has_card,
        coalesce(holdings_by_customer.has_wealth, false) as has_wealth,
        latest_balance_date.balance_date as balances_as_of_date,
        cast(coalesce(latest_balances_by_customer.deposit_balance, 0) as numeric(18, 2))
            as deposit_balance,
        cast(coalesce(latest_balances_by_customer.loan_balance, 0) as numeric(18, 2))
            as loan_balance,
        cast(coalesce(latest_balances_by_customer.card_balance, 0) as numeric(18, 2))
            as card_balance,
        cast(coalesce(latest_balances_by_customer.wealth_balance_aum, 0) as numeric(18, 2))
            as wealth_balance_aum,
        last_transactions_by_customer.last_transaction_at,
        latest_customer_tiers.tier,
        latest_customer_tiers.tier_reason,
        latest_customer_tiers.month as tier_month,
        latest_customer_tiers.contribution_l12m,
        latest_reporting_month.as_of_month
    from customers
    cross join latest_balance_date
    cross join latest_reporting_month
    left join relationship_managers
        on customers.rm_id = relationship_managers.rm_id
    left join holdings_by_customer
        on customers.customer_id = holdings_by_customer.customer_id
    left join latest_balances_by_customer
        on customers.customer_id = latest_balances_by_customer.customer_id
    left join last_transactions_by_customer
        on customers.customer_id = last_transactions_by_customer.customer_id
    left join latest_customer_tiers
        on customers.customer_id = latest_customer_tiers.customer_id

)

select * from final
