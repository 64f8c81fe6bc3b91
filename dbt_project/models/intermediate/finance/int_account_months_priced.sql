-- Each account-month balance joined to its account, its product and the FTP
-- rate for its term, with the month's net interest income (unrounded, CNY)
-- and the interest the account accrued (what the general ledger books).
--
-- FTP rate: the curve whose curve_date is the first day of the balance month,
-- at the smallest curve term_months >= the account's term_months; terms
-- beyond the longest point take the longest point (current deposits, term 0,
-- take the shortest point).
--
-- Net interest income (NII), with days = days_in_month and basis the
-- contribution_day_count_basis var (365):
--   deposit families:  average_balance x (ftp_rate - interest_rate) x days / basis
--   credit families:   average_balance x (interest_rate - ftp_rate) x days / basis
--   other (wealth):    0
-- interest_rate_liquidity_capital: the economic capital a deposit ties up
-- against interest-rate and liquidity risk, average_balance x the ratio of
-- its product family (seed deposit_capital_ratios_by_product_family); 0 for
-- other families.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch. The grain is a unique index: PostgreSQL
-- refuses a duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['account_id', 'balance_date'], 'unique': true},
        ]
    )
}}

{%- set scope = month_scope(incremental_lineage()) %}

with

-- Ephemeral: the month filter reaches the scan of the staging balances.
account_balances as (

    select * from {{ ref('int_account_balances_joined') }}
    where {{ rebuilt_months(scope, 'balance_date') }}

),

deposit_capital_ratios as (

    select * from {{ ref('deposit_capital_ratios_by_product_family') }}

),

ftp_rates as (

    select * from {{ ref('stg_erp__ftp_rates') }}

),

balances_joined_to_accounts as (

    select
        account_id,
        customer_id,
        product_code,
        product_family,
        month,
        balance_date,
        days_in_month,
        month_end_balance,
        average_balance,
        interest_accrued,
        interest_rate,
        term_months as account_term_months,
        product_family
        in {{ sql_string_list(var('contribution_deposit_product_families')) }} as is_deposit,
        product_family
        in {{ sql_string_list(var('contribution_credit_product_families')) }} as is_credit_product
    from account_balances

),

ftp_terms_matched as (

    select
        balances_joined_to_accounts.account_id,
        balances_joined_to_accounts.balance_date,
        coalesce(
            min(ftp_rates.term_months) filter (
                where ftp_rates.term_months >= balances_joined_to_accounts.account_term_months
            ),
            max(ftp_rates.term_months)
        ) as ftp_term_months
    from balances_joined_to_accounts
    left join ftp_rates
        on balances_joined_to_accounts.month = ftp_rates.curve_date
    group by
        balances_joined_to_accounts.account_id,
        balances_joined_to_accounts.balance_date

),

balances_joined_to_ftp_rates as (

    select
        balances_joined_to_accounts.*,
        ftp_terms_matched.ftp_term_months,
        ftp_rates.ftp_rate
    from balances_joined_to_accounts
    inner join ftp_terms_matched
        on
            balances_joined_to_accounts.account_id = ftp_terms_matched.account_id
            and balances_joined_to_accounts.balance_date = ftp_terms_matched.balance_date
    left join ftp_rates
        on
            balances_joined_to_accounts.month = ftp_rates.curve_date
            and ftp_terms_matched.ftp_term_months = ftp_rates.term_months

),

balances_joined_to_capital_ratios as (

    select
        balances_joined_to_ftp_rates.*,
        coalesce(deposit_capital_ratios.capital_ratio, 0) as deposit_capital_ratio
    from balances_joined_to_ftp_rates
    left join deposit_capital_ratios
        on
            balances_joined_to_ftp_rates.product_family = deposit_capital_ratios.product_family
            and balances_joined_to_ftp_rates.is_deposit

),

final as (

    select
        *,
        average_balance * deposit_capital_ratio as interest_rate_liquidity_capital,
        case
            when is_deposit
                then
                    average_balance * (ftp_rate - interest_rate) * days_in_month
                    / {{ var('contribution_day_count_basis') }}
            when is_credit_product
                then
                    average_balance * (interest_rate - ftp_rate) * days_in_month
                    / {{ var('contribution_day_count_basis') }}
            else 0
        end as net_interest_income
    from balances_joined_to_capital_ratios

)

select * from final
