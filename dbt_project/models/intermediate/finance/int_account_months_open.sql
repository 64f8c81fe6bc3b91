-- One row per account and reporting month in which the account was open at
-- some point: opened on or before the month end and not closed before the
-- month start.
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['account_id', 'month'], 'unique': true},
        ]
    )
}}

with

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

account_months_joined as (

    select
        accounts.account_id,
        accounts.customer_id,
        accounts.product_code,
        reporting_months.month,
        reporting_months.month_end_date
    from accounts
    inner join reporting_months
        on
            accounts.opened_date <= reporting_months.month_end_date
            and (
                accounts.closed_date is null
                or accounts.closed_date >= reporting_months.month
            )

),

final as (

    select * from account_months_joined

)

select * from final
{{ unless_closed_months_changed() }}
