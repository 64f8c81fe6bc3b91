-- Loan pricing by comprehensive return (变对利率的审查为对综合收益的审查), one
-- row per loan and month. A loan is a credit account-month with a loan
-- snapshot in int_credit_account_months_risk_measured; cards are left out:
-- they carry no rating, PD or LGD and have no negotiated loan rate to review.
--
-- Standalone, per loan-month (CNY, unrounded until the final cast):
--   return           = loan NII - expected_loss - activity_cost
--   capital_charge   = credit_capital x hurdle / 12
--   standalone_raroc = return x 12 / credit_capital
-- activity_cost is the loan account's own cost to serve (its transactions and
-- account upkeep, int_account_activity_months_costed): it is booked on the
-- account, so nothing is allocated. The relationship manager's cost is a
-- customer-level cost with no driver per account and stays out of the
-- standalone return; the relationship view carries it.
--
-- Minimum rate: the customer rate at which the standalone return just pays
-- the capital charge. With B = average_balance, d = days_in_month, basis =
-- the contribution_day_count_basis var, f = ftp_rate, r = interest_rate, EL
-- the month's expected loss (the annual one / 12), C the activity cost, K the
-- credit capital and h the contribution_hurdle_rate var, int_account_months_priced
-- books loan NII = B x (r - f) x d / basis. The hurdle is met when
--   B x (r - f) x d / basis - EL - C >= K x h / 12
-- so
--   minimum_rate = f + (EL + C + K x h / 12) x basis / (B x d)
-- which is f + (12 x EL + 12 x C + h x K) / B times basis / (12 x d): the
-- annual expected loss and hurdle on capital per unit of balance, scaled by
-- the month's day count (31 / 365 x 12 is not 1). Null where B is zero.
-- meets_hurdle_standalone compares the return with the charge directly, so
-- it is defined for every loan, and equals interest_rate >= minimum_rate
-- wherever the minimum rate is.
--
-- Relationship: the customer's month in customer_contribution_monthly
-- (deposits, fees, all costs and all economic capital). It meets the hurdle
-- when net_contribution >= 0: net contribution is the return less economic
-- capital x hurdle / 12, so this is raroc >= hurdle without the division,
-- and is defined also where raroc is null (capital below the floor).
-- Both RAROC columns are null where their capital is below the
-- raroc_min_economic_capital var, as in the contribution mart.
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['loan_id', 'month'], 'unique': true},
        ]
    )
}}

with

credit_account_months_risk_measured as (

    select * from {{ ref('int_credit_account_months_risk_measured') }}

),

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

account_activity_months_costed as (

    select * from {{ ref('int_account_activity_months_costed') }}

),

customer_contribution as (

    select * from {{ ref('customer_contribution_monthly') }}

),

loan_months as (

    select
        account_id as loan_id,
        customer_id,
        product_code,
        month,
        balance_date,
        risk_rating,
        days_past_due,
        is_in_default,
        exposure_amount,
        expected_loss,
        economic_capital as credit_capital
    from credit_account_months_risk_measured
    where has_loan_snapshot

),

-- only the loans' own activity is summed: the costed activities cover every
-- account (8.5M rows at 100k customers), the loans a small part of them
activity_costs_by_account_month as (

    select
        loan_months.loan_id as account_id,
        loan_months.month,
        sum(account_activity_months_costed.activity_cost) as activity_cost
    from loan_months
    inner join account_activity_months_costed
        on
            loan_months.loan_id = account_activity_months_costed.account_id
            and loan_months.month = account_activity_months_costed.month
    group by
        loan_months.loan_id,
        loan_months.month

),

loan_months_priced as (

    select
        loan_months.*,
        account_months_priced.average_balance,
        account_months_priced.days_in_month,
        account_months_priced.interest_rate,
        account_months_priced.ftp_rate,
        account_months_priced.net_interest_income as loan_nii,
        coalesce(activity_costs_by_account_month.activity_cost, 0) as activity_cost,
        loan_months.credit_capital * {{ var('contribution_hurdle_rate') }} / 12
            as capital_charge
    from loan_months
    inner join account_months_priced
        on
            loan_months.loan_id = account_months_priced.account_id
            and loan_months.balance_date = account_months_priced.balance_date
    left join activity_costs_by_account_month
        on
            loan_months.loan_id = activity_costs_by_account_month.account_id
            and loan_months.month = activity_costs_by_account_month.month

),

standalone_measured as (

    select
        *,
        loan_nii - expected_loss - activity_cost as standalone_return,
        case
            when average_balance <> 0
                then
                    ftp_rate
                    + (expected_loss + activity_cost + capital_charge)
                    * {{ var('contribution_day_count_basis') }}
                    / (average_balance * days_in_month)
        end as minimum_rate
    from loan_months_priced

),

relationship_joined as (

    select
        standalone_measured.*,
        customer_contribution.raroc as relationship_raroc,
        customer_contribution.net_contribution as relationship_net_contribution,
        standalone_measured.standalone_return
        >= standalone_measured.capital_charge as meets_hurdle_standalone,
        customer_contribution.net_contribution >= 0 as meets_hurdle_relationship
    from standalone_measured
    left join customer_contribution
        on
            standalone_measured.customer_id = customer_contribution.customer_id
            and standalone_measured.month = customer_contribution.month

),

final as (

    select
        loan_id,
        month,
        customer_id,
        product_code,
        risk_rating,
        cast(days_past_due as integer) as days_past_due,
        is_in_default,
        cast(average_balance as numeric(18, 2)) as average_balance,
        cast(days_in_month as integer) as days_in_month,
        cast(interest_rate as numeric(9, 6)) as interest_rate,
        cast(ftp_rate as numeric(9, 6)) as ftp_rate,
        cast(round(minimum_rate, 10) as numeric(18, 10)) as minimum_rate,
        cast(round(interest_rate - minimum_rate, 10) as numeric(18, 10)) as rate_gap,
        cast(round(loan_nii, 2) as numeric(18, 2)) as loan_nii,
        cast(round(expected_loss, 2) as numeric(18, 2)) as expected_loss,
        cast(round(activity_cost, 2) as numeric(18, 2)) as activity_cost,
        cast(round(standalone_return, 2) as numeric(18, 2)) as standalone_return,
        cast(round(credit_capital, 2) as numeric(18, 2)) as credit_capital,
        cast(round(capital_charge, 2) as numeric(18, 2)) as capital_charge,
        cast(
            case
                when credit_capital >= {{ var('raroc_min_economic_capital') }}
                    then round(standalone_return * 12 / credit_capital, 6)
            end
            as numeric(18, 6)
        ) as standalone_raroc,
        relationship_raroc,
        relationship_net_contribution,
        meets_hurdle_standalone,
        meets_hurdle_relationship,
        not meets_hurdle_standalone and meets_hurdle_relationship as is_relationship_priced
    from relationship_joined

)

select * from final
{{ unless_closed_months_changed() }}
