-- Contribution per product family and month, in CNY, built from the account
-- level rather than from customer totals:
--   deposit_nii, loan_nii, average balances   account-months by the account's
--                                             product family
--   expected_loss, credit_capital, exposure  credit account-months by family
--   interest_rate_liquidity_capital          deposit account-months by family
--   operational_risk_capital                 `customer_level`: it is a share
--                                             of the customer's whole gross
--                                             income, taken from the customer
--                                             mart
--   activity_cost                             each activity by the family of
--                                             the account that used it
--   fee_income                                each fee posting by the family
--                                             of the account it was posted
--                                             to; postings without a known
--                                             account go to `customer_level`
--   branch_overhead_cost                      the family of the account that
--                                             absorbed it
--   relationship_manager_cost                 `customer_level`: a manager
--                                             serves the customer, not one
--                                             account
-- Each line is summed unrounded per family and month and rounded once; the
-- totals (gross, cost to serve, net) are built from the rounded lines as in
-- the customer mart. Because the customer mart rounds per customer-month,
-- the families of a month match its totals within half a cent per
-- customer-month and rounded line (tested), not to the cent.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch, reading the 11 months before the first for
-- the year-to-date lines.

{%- set scope = month_scope(incremental_lineage()) %}

with

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

credit_account_months_risk_measured as (

    select * from {{ ref('int_credit_account_months_risk_measured') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

account_activity_months_costed as (

    select * from {{ ref('int_account_activity_months_costed') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

customer_rm_costs_allocated as (

    select * from {{ ref('int_customer_rm_costs_allocated') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}
    where {{ rebuilt_months(scope, 'posted_date', 11) }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

account_months_overhead_allocated as (

    select * from {{ ref('int_account_months_overhead_allocated') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

customer_contributions as (

    select * from {{ ref('customer_contribution_monthly') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

interest_lines as (

    select
        product_family,
        month,
        customer_id,
        case when is_deposit then average_balance else 0 end as deposit_average_balance,
        case when is_credit_product then average_balance else 0 end as loan_average_balance,
        0 as credit_exposure,
        case when is_deposit then net_interest_income else 0 end as deposit_nii,
        case when is_credit_product then net_interest_income else 0 end as loan_nii,
        0 as fee_income,
        0 as activity_cost,
        0 as relationship_manager_cost,
        0 as branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        0 as operational_risk_capital,
        interest_rate_liquidity_capital
    from account_months_priced

),

risk_lines as (

    select
        product_family,
        month,
        customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        exposure_amount as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        0 as fee_income,
        0 as activity_cost,
        0 as relationship_manager_cost,
        0 as branch_overhead_cost,
        expected_loss,
        economic_capital as credit_capital,
        0 as operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from credit_account_months_risk_measured

),

activity_cost_lines as (

    select
        coalesce(product_family, 'customer_level') as product_family,
        month,
        customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        0 as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        0 as fee_income,
        activity_cost,
        0 as relationship_manager_cost,
        0 as branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        0 as operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from account_activity_months_costed

),

fee_lines as (

    select
        coalesce(products.product_family, 'customer_level') as product_family,
        reporting_months.month,
        fee_postings.customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        0 as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        fee_postings.amount as fee_income,
        0 as activity_cost,
        0 as relationship_manager_cost,
        0 as branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        0 as operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from fee_postings
    -- fees of a month not closed yet wait for its close
    inner join reporting_months
        on cast(date_trunc('month', fee_postings.posted_date) as date) = reporting_months.month
    left join accounts
        on fee_postings.account_id = accounts.account_id
    left join products
        on accounts.product_code = products.product_code

),

operational_risk_lines as (

    select
        'customer_level' as product_family,
        month,
        customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        0 as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        0 as fee_income,
        0 as activity_cost,
        0 as relationship_manager_cost,
        0 as branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from customer_contributions
    where operational_risk_capital <> 0

),

branch_overhead_lines as (

    select
        coalesce(product_family, 'customer_level') as product_family,
        month,
        customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        0 as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        0 as fee_income,
        0 as activity_cost,
        0 as relationship_manager_cost,
        branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        0 as operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from account_months_overhead_allocated

),

relationship_manager_lines as (

    select
        'customer_level' as product_family,
        month,
        customer_id,
        0 as deposit_average_balance,
        0 as loan_average_balance,
        0 as credit_exposure,
        0 as deposit_nii,
        0 as loan_nii,
        0 as fee_income,
        0 as activity_cost,
        relationship_manager_cost,
        0 as branch_overhead_cost,
        0 as expected_loss,
        0 as credit_capital,
        0 as operational_risk_capital,
        0 as interest_rate_liquidity_capital
    from customer_rm_costs_allocated

),

-- Not materialized: read twice below, and as a materialized CTE its ~16M
-- rows of a bank-size build would be written to disk before either read.
lines_unioned as {{ cte_not_materialized() }} (

    select * from interest_lines
    union all
    select * from risk_lines
    union all
    select * from activity_cost_lines
    union all
    select * from fee_lines
    union all
    select * from operational_risk_lines
    union all
    select * from branch_overhead_lines
    union all
    select * from relationship_manager_lines

),

-- The customers of a family and month are counted apart from the sums:
-- counting distinct customers next to the sums sorted all lines, the
-- slowest step of the model on a bank-size build; the sums alone need no sort.
family_month_customers as (

    select distinct
        product_family,
        month,
        customer_id
    from lines_unioned
    where customer_id is not null

),

customers_by_family_month as (

    select
        product_family,
        month,
        cast(count(*) as integer) as customer_count
    from family_month_customers
    group by
        product_family,
        month

),

line_sums_by_family_month as (

    select
        product_family,
        month,
        cast(sum(deposit_average_balance) as numeric(18, 2)) as deposit_average_balance,
        cast(sum(loan_average_balance) as numeric(18, 2)) as loan_average_balance,
        cast(sum(credit_exposure) as numeric(18, 2)) as credit_exposure,
        cast(round(sum(deposit_nii), 2) as numeric(18, 2)) as deposit_nii,
        cast(round(sum(loan_nii), 2) as numeric(18, 2)) as loan_nii,
        cast(sum(fee_income) as numeric(18, 2)) as fee_income,
        cast(round(sum(activity_cost), 2) as numeric(18, 2)) as activity_cost,
        cast(
            round(sum(relationship_manager_cost), 2) as numeric(18, 2)
        ) as relationship_manager_cost,
        cast(round(sum(branch_overhead_cost), 2) as numeric(18, 2)) as branch_overhead_cost,
        cast(round(sum(expected_loss), 2) as numeric(18, 2)) as expected_loss,
        cast(round(sum(credit_capital), 2) as numeric(18, 2)) as credit_capital,
        cast(
            round(sum(operational_risk_capital), 2) as numeric(18, 2)
        ) as operational_risk_capital,
        cast(
            round(sum(interest_rate_liquidity_capital), 2) as numeric(18, 2)
        ) as interest_rate_liquidity_capital,
        -- the annual hurdle on economic capital spread over the 12 months of a year
        cast(
            round(
                sum(credit_capital + operational_risk_capital + interest_rate_liquidity_capital)
                * {{ var('contribution_hurdle_rate') }} / 12,
                2
            )
            as numeric(18, 2)
        ) as capital_charge
    from lines_unioned
    group by
        product_family,
        month

),

lines_by_family_month as (

    select
        line_sums_by_family_month.product_family,
        line_sums_by_family_month.month,
        coalesce(customers_by_family_month.customer_count, 0) as customer_count,
        line_sums_by_family_month.deposit_average_balance,
        line_sums_by_family_month.loan_average_balance,
        line_sums_by_family_month.credit_exposure,
        line_sums_by_family_month.deposit_nii,
        line_sums_by_family_month.loan_nii,
        line_sums_by_family_month.fee_income,
        line_sums_by_family_month.activity_cost,
        line_sums_by_family_month.relationship_manager_cost,
        line_sums_by_family_month.branch_overhead_cost,
        line_sums_by_family_month.expected_loss,
        line_sums_by_family_month.credit_capital,
        line_sums_by_family_month.operational_risk_capital,
        line_sums_by_family_month.interest_rate_liquidity_capital,
        line_sums_by_family_month.capital_charge
    from line_sums_by_family_month
    -- a line without a product family is grouped like the others
    left join customers_by_family_month
        on
            line_sums_by_family_month.product_family
            is not distinct from customers_by_family_month.product_family
            and line_sums_by_family_month.month = customers_by_family_month.month

),

totals_from_rounded_lines as (

    select
        *,
        cast(deposit_nii + loan_nii + fee_income as numeric(18, 2)) as gross_contribution,
        cast(
            activity_cost + relationship_manager_cost + branch_overhead_cost as numeric(18, 2)
        ) as cost_to_serve,
        cast(
            credit_capital + operational_risk_capital + interest_rate_liquidity_capital
            as numeric(18, 2)
        ) as economic_capital
    from lines_by_family_month

),

net_contribution_added as (

    select
        product_family,
        month,
        customer_count,
        deposit_average_balance,
        loan_average_balance,
        credit_exposure,
        deposit_nii,
        loan_nii,
        fee_income,
        gross_contribution,
        activity_cost,
        relationship_manager_cost,
        branch_overhead_cost,
        cost_to_serve,
        expected_loss,
        credit_capital,
        operational_risk_capital,
        interest_rate_liquidity_capital,
        economic_capital,
        capital_charge,
        cast(
            gross_contribution - cost_to_serve - expected_loss - capital_charge
            as numeric(18, 2)
        ) as net_contribution
    from totals_from_rounded_lines

),

final as (

    {{ contribution_ytd_and_raroc('net_contribution_added', ['product_family']) }}

)

select * from final
where {{ rebuilt_months(scope) }}
