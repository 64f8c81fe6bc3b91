-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['account_id', 'balance_date'], 'unique': true},
        ]
    )
}}

with

source as (

    select * from {{ source('core_banking', 'balances') }}

),

latest_versions as (

    {{ latest_versions('source', 'account_id, balance_date', 'updated_at desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(account_id as text) as account_id,
        cast(balance_date as date) as balance_date,
        cast(month_end_balance as numeric(18, 2)) as month_end_balance,
        cast(average_balance as numeric(18, 2)) as average_balance,
        cast(interest_accrued as numeric(18, 2)) as interest_accrued,
        cast(days_in_month as integer) as days_in_month,
        cast(updated_at as timestamptz) as updated_at,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
