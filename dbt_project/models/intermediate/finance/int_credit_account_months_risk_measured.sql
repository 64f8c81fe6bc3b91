-- Credit risk of every credit account-month (families in the
-- contribution_credit_product_families var) that has a month-end balance, in
-- CNY and unrounded.
--
-- Accounts with a loan snapshot dated in the month (loans):
--   exposure_amount     = the snapshot's outstanding_balance (month end)
--   applied PD          = 1 when days_past_due >= the
--                         contribution_default_min_days_past_due var (in
--                         default), else the snapshot's probability_of_default
--   expected_loss       = applied PD x loss_given_default x exposure / 12
--                         (the annual expected loss spread over 12 months)
--   capital_ratio       = seed economic_capital_ratios_by_risk_rating for
--                         the snapshot's risk_rating
-- Credit accounts without a snapshot (cards, which carry no rating, PD or
-- LGD in core banking):
--   exposure_amount     = month_end_balance
--   expected_loss       = 0
--   capital_ratio       = seed economic_capital_ratios_by_product_family
-- economic_capital = exposure_amount x capital_ratio. A loan with a zero
-- outstanding balance (repaid or closed in the month) has no expected loss
-- and ties up no capital.
with

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

loans as (

    select * from {{ ref('stg_core_banking__loans') }}

),

capital_ratios_by_risk_rating as (

    select * from {{ ref('economic_capital_ratios_by_risk_rating') }}

),

capital_ratios_by_product_family as (

    select * from {{ ref('economic_capital_ratios_by_product_family') }}

),

credit_account_months as (

    select
        account_id,
        customer_id,
        product_code,
        product_family,
        month,
        balance_date,
        month_end_balance
    from account_months_priced
    where is_credit_product

),

loan_snapshots_to_months as (

    select
        loan_id,
        cast(date_trunc('month', snapshot_date) as date) as month,
        snapshot_date,
        outstanding_balance,
        risk_rating,
        probability_of_default,
        loss_given_default,
        days_past_due
    from loans

),

credit_account_months_joined_to_snapshots as (

    select
        credit_account_months.*,
        loan_snapshots_to_months.snapshot_date,
        loan_snapshots_to_months.risk_rating,
        loan_snapshots_to_months.probability_of_default,
        loan_snapshots_to_months.loss_given_default,
        loan_snapshots_to_months.days_past_due,
        loan_snapshots_to_months.loan_id is not null as has_loan_snapshot,
        coalesce(
            loan_snapshots_to_months.days_past_due
            >= {{ var('contribution_default_min_days_past_due') }},
            false
        ) as is_in_default,
        coalesce(
            loan_snapshots_to_months.outstanding_balance,
            credit_account_months.month_end_balance
        ) as exposure_amount
    from credit_account_months
    left join loan_snapshots_to_months
        on
            credit_account_months.account_id = loan_snapshots_to_months.loan_id
            and credit_account_months.month = loan_snapshots_to_months.month

),

capital_ratios_joined as (

    select
        credit_account_months_joined_to_snapshots.*,
        case
            when credit_account_months_joined_to_snapshots.has_loan_snapshot
                then 'risk_rating'
            else 'product_family'
        end as capital_ratio_basis,
        case
            when credit_account_months_joined_to_snapshots.has_loan_snapshot
                then capital_ratios_by_risk_rating.capital_ratio
            else capital_ratios_by_product_family.capital_ratio
        end as capital_ratio
    from credit_account_months_joined_to_snapshots
    left join capital_ratios_by_risk_rating
        on
            credit_account_months_joined_to_snapshots.risk_rating
            = capital_ratios_by_risk_rating.risk_rating
    left join capital_ratios_by_product_family
        on
            credit_account_months_joined_to_snapshots.product_family
            = capital_ratios_by_product_family.product_family

),

risk_measured as (

    select
        *,
        case
            when is_in_default then 1
            else probability_of_default
        end as applied_probability_of_default
    from capital_ratios_joined

),

final as (

    select
        account_id,
        customer_id,
        product_code,
        product_family,
        month,
        balance_date,
        month_end_balance,
        has_loan_snapshot,
        snapshot_date,
        risk_rating,
        probability_of_default,
        loss_given_default,
        days_past_due,
        is_in_default,
        applied_probability_of_default,
        exposure_amount,
        -- the annual expected loss spread over the 12 months of a year
        case
            when has_loan_snapshot
                then applied_probability_of_default * loss_given_default * exposure_amount / 12
            else 0
        end as expected_loss,
        capital_ratio_basis,
        capital_ratio,
        exposure_amount * capital_ratio as economic_capital
    from risk_measured

)

select * from final
{{ unless_closed_months_changed() }}
