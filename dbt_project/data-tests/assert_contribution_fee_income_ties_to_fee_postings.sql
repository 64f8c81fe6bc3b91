-- Fee income in the contribution mart must equal the fee postings to the cent,
-- in total and per reporting month (finance ties contribution to the ledger).
-- Postings of a month not closed yet wait for its close.
with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

mart_fee_income_by_month as (

    select
        month,
        sum(fee_income) as mart_fee_income
    from contributions
    group by month

),

posted_fee_income_by_month as (

    select
        reporting_months.month,
        sum(fee_postings.amount) as posted_fee_income
    from fee_postings
    inner join reporting_months
        on cast(date_trunc('month', fee_postings.posted_date) as date) = reporting_months.month
    group by reporting_months.month

),

months_compared as (

    select
        coalesce(mart_fee_income_by_month.month, posted_fee_income_by_month.month) as month,
        coalesce(mart_fee_income_by_month.mart_fee_income, 0) as mart_fee_income,
        coalesce(posted_fee_income_by_month.posted_fee_income, 0) as posted_fee_income
    from mart_fee_income_by_month
    full outer join posted_fee_income_by_month
        on mart_fee_income_by_month.month = posted_fee_income_by_month.month

),

final as (

    select * from months_compared
    where mart_fee_income <> posted_fee_income

)

select * from final
