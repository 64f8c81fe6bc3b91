-- Gross contribution per customer and month (CNY): deposit and loan net
-- interest income against the FTP curve plus fee income by category. NII is
-- summed unrounded over the customer's account-months and rounded once to
-- cents; gross_contribution is the sum of the rounded lines.
{%- set fee_categories = [
    'settlement',
    'wealth_management',
    'agency_insurance',
    'cards',
    'e_banking',
    'international',
    'investment_banking',
] %}

with

account_months_open as (

    select * from {{ ref('int_account_months_open') }}

),

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}

),

fee_postings_to_months as (

    select
        customer_id,
        cast(date_trunc('month', posted_date) as date) as month,
        fee_category,
        amount
    from fee_postings

),

customer_months as (

    select
        customer_id,
        month
    from account_months_open

    union

    select
        customer_id,
        month
    from account_months_priced

    union

    select
        customer_id,
        month
    from fee_postings_to_months

),

interest_by_customer_month as (

    select
        customer_id,
        month,
        sum(average_balance) filter (where is_deposit) as deposit_average_balance,
        sum(average_balance) filter (where is_credit_product) as loan_average_balance,
        sum(net_interest_income) filter (where is_deposit) as deposit_nii_unrounded,
        sum(net_interest_income) filter (where is_credit_product) as loan_nii_unrounded
    from account_months_priced
    group by
        customer_id,
        month

),

fees_by_customer_month as (

    select
        customer_id,
        month,
        {%- for fee_category in fee_categories %}
        sum(amount) filter (where fee_category = '{{ fee_category }}') as fee_{{ fee_category }},
        {%- endfor %}
        sum(amount) as fee_income
    from fee_postings_to_months
    group by
        customer_id,
        month

),

contribution_lines_rounded as (

    select
        customer_months.customer_id,
        customer_months.month,
        cast(
            coalesce(interest_by_customer_month.deposit_average_balance, 0) as numeric(18, 2)
        ) as deposit_average_balance,
        cast(
            coalesce(interest_by_customer_month.loan_average_balance, 0) as numeric(18, 2)
        ) as loan_average_balance,
        cast(
            round(coalesce(interest_by_customer_month.deposit_nii_unrounded, 0), 2)
            as numeric(18, 2)
        ) as deposit_nii,
        cast(
            round(coalesce(interest_by_customer_month.loan_nii_unrounded, 0), 2)
            as numeric(18, 2)
        ) as loan_nii,
        {%- for fee_category in fee_categories %}
        cast(
            coalesce(fees_by_customer_month.fee_{{ fee_category }}, 0) as numeric(18, 2)
        ) as fee_{{ fee_category }},
        {%- endfor %}
        cast(coalesce(fees_by_customer_month.fee_income, 0) as numeric(18, 2)) as fee_income
    from customer_months
    left join interest_by_customer_month
        on
            customer_months.customer_id = interest_by_customer_month.customer_id
            and customer_months.month = interest_by_customer_month.month
    left join fees_by_customer_month
        on
            customer_months.customer_id = fees_by_customer_month.customer_id
            and customer_months.month = fees_by_customer_month.month

),

final as (

    select
        customer_id,
        month,
        deposit_average_balance,
        loan_average_balance,
        deposit_nii,
        loan_nii,
        fee_income,
        {%- for fee_category in fee_categories %}
        fee_{{ fee_category }},
        {%- endfor %}
        cast(deposit_nii + loan_nii + fee_income as numeric(18, 2)) as gross_contribution
    from contribution_lines_rounded

)

select * from final
