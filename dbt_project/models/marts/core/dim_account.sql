-- Account dimension: one row per core-banking account with its product and
-- family, home branch, dates, status and current contract terms.
with

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

accounts_joined_to_products as (

    select
        accounts.account_id,
        accounts.customer_id,
        accounts.product_code,
        products.product_family,
        accounts.branch_id,
        accounts.currency_code,
        accounts.opened_date,
        accounts.closed_date,
        accounts.status,
        (
            accounts.status = 'open'
            and accounts.closed_date is null
        ) as is_open,
        accounts.interest_rate,
        accounts.term_months
    from accounts
    inner join products
        on accounts.product_code = products.product_code

),

final as (

    select * from accounts_joined_to_products

)

select * from final
{{ unless_closed_months_changed() }}
