-- Expected loss and economic capital are measured on credit account-months
-- (month-end balances). A loan snapshot without such an account-month would
-- drop out of the risk lines silently. Returns those snapshots.
with

loans as (

    select * from {{ ref('stg_core_banking__loans') }}

),

credit_account_months_risk_measured as (

    select * from {{ ref('int_credit_account_months_risk_measured') }}

),

final as (

    select
        loans.loan_id,
        loans.snapshot_date
    from loans
    left join credit_account_months_risk_measured
        on
            loans.loan_id = credit_account_months_risk_measured.account_id
            and loans.snapshot_date = credit_account_months_risk_measured.snapshot_date
    where credit_account_months_risk_measured.account_id is null

)

select * from final
