-- Net interest income in the contribution mart is the account-level NII summed
-- per customer-month and rounded once, so per month it may differ from the
-- unrounded account total by at most half a cent per customer-month.
with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

mart_nii_by_month as (

    select
        month,
        sum(deposit_nii + loan_nii) as mart_nii,
        count(*) as customer_months
    from contributions
    group by month

),

account_nii_by_month as (

    select
        month,
        sum(net_interest_income) as account_nii
    from account_months_priced
    group by month

),

months_compared as (

    select
        mart_nii_by_month.month,
        mart_nii_by_month.mart_nii,
        coalesce(account_nii_by_month.account_nii, 0) as account_nii,
        mart_nii_by_month.customer_months
    from mart_nii_by_month
    left join account_nii_by_month
        on mart_nii_by_month.month = account_nii_by_month.month

),

final as (

    select * from months_compared
    where abs(mart_nii - account_nii) > 0.005 * customer_months

)

select * from final
