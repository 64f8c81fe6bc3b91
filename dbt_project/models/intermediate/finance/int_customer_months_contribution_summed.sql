-- The inputs of customer_contribution_monthly summed per customer and month,
-- unrounded: net interest income, balances, interest and the interest-rate
-- and liquidity capital of the priced accounts; fee income by category;
-- activity, relationship-manager and branch-overhead costs; credit exposure,
-- expected loss and credit capital. One row per customer-month of the
-- contribution's spine: a customer-month with an open account, a priced
-- account, a fee, a costed activity or an RM cost. Overhead and risk alone
-- do not make a customer-month (they are not part of the spine);
-- a line the customer-month lacks is null.
--
-- Ephemeral, not a table (dbt_project.yml): customer_contribution_monthly is
-- a month table and filters this model on month with rebuilt_months. For
-- that filter to reach the scans of the inputs, each input is summed on its
-- own and the sums are stacked (union all) and added up by customer-month,
-- rather than joined to a spine: PostgreSQL pushes a month predicate through
-- the grouping and the union into every input, but not through a left join
-- onto the joined side. Each import is read once, so no CTE is materialized
-- before the filter.
{%- set fee_categories = contribution_fee_categories() %}
{%- set fee_columns = [] %}
{%- for fee_category in fee_categories %}
{%- do fee_columns.append('fee_' ~ fee_category) %}
{%- endfor %}

{#- Each summed input: its CTE, whether its customer-months are on the spine, its columns. -#}
{%- set inputs_summed = [
    ('open_account_months_by_customer_month', true, []),
    ('interest_by_customer_month', true, [
        'deposit_average_balance',
        'loan_average_balance',
        'deposit_nii_unrounded',
        'loan_nii_unrounded',
        'deposit_interest_expense',
        'loan_interest_income',
        'interest_rate_liquidity_capital_unrounded',
    ]),
    ('fees_by_customer_month', true, fee_columns + ['fee_income']),
    ('activity_costs_by_customer_month', true, ['activity_cost']),
    ('rm_costs_by_customer_month', true, ['relationship_manager_cost_unrounded']),
    ('overhead_by_customer_month', false, ['branch_overhead_cost']),
    ('risk_by_customer_month', false, [
        'credit_exposure',
        'expected_loss_unrounded',
        'credit_capital_unrounded',
    ]),
] %}
{%- set summed_columns = [] %}
{%- for input in inputs_summed %}
{%- do summed_columns.extend(input[2]) %}
{%- endfor %}

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

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

account_activity_months_costed as (

    select * from {{ ref('int_account_activity_months_costed') }}

),

customer_rm_costs_allocated as (

    select * from {{ ref('int_customer_rm_costs_allocated') }}

),

account_months_overhead_allocated as (

    select * from {{ ref('int_account_months_overhead_allocated') }}

),

credit_account_months_risk_measured as (

    select * from {{ ref('int_credit_account_months_risk_measured') }}

),

-- Fees of reporting months only: a month that has not closed waits for its
-- close. The month is the posting's own (equal to the reporting month it
-- joins), so a reader's month filter reaches the scan of the fee postings.
fee_postings_to_months as (

    select
        fee_postings.customer_id,
        cast(date_trunc('month', fee_postings.posted_date) as date) as month,
        fee_postings.fee_category,
        fee_postings.amount
    from fee_postings
    inner join reporting_months
        on cast(date_trunc('month', fee_postings.posted_date) as date) = reporting_months.month

),

open_account_months_by_customer_month as (

    select
        customer_id,
        month
    from account_months_open
    group by
        customer_id,
        month

),

interest_by_customer_month as (

    select
        customer_id,
        month,
        sum(average_balance) filter (where is_deposit) as deposit_average_balance,
        sum(average_balance) filter (where is_credit_product) as loan_average_balance,
        sum(net_interest_income) filter (where is_deposit) as deposit_nii_unrounded,
        sum(net_interest_income) filter (where is_credit_product) as loan_nii_unrounded,
        sum(interest_accrued) filter (where is_deposit) as deposit_interest_expense,
        sum(interest_accrued) filter (where is_credit_product) as loan_interest_income,
        sum(interest_rate_liquidity_capital) as interest_rate_liquidity_capital_unrounded
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

activity_costs_by_customer_month as (

    select
        customer_id,
        month,
        sum(activity_cost) as activity_cost
    from account_activity_months_costed
    group by
        customer_id,
        month

),

overhead_by_customer_month as (

    select
        customer_id,
        month,
        sum(branch_overhead_cost) as branch_overhead_cost
    from account_months_overhead_allocated
    group by
        customer_id,
        month

),

rm_costs_by_customer_month as (

    select
        customer_id,
        month,
        sum(relationship_manager_cost) as relationship_manager_cost_unrounded
    from customer_rm_costs_allocated
    group by
        customer_id,
        month

),

risk_by_customer_month as (

    select
        customer_id,
        month,
        sum(exposure_amount) as credit_exposure,
        sum(expected_loss) as expected_loss_unrounded,
        sum(economic_capital) as credit_capital_unrounded
    from credit_account_months_risk_measured
    group by
        customer_id,
        month

),

-- Every input's sums in one column set, null where the input has no such
-- line (typed: PostgreSQL resolves a union's types pair by pair): each
-- customer-month has at most one row per input.
inputs_stacked as (

    {%- for input_cte, is_on_spine, columns in inputs_summed %}

    select
        customer_id,
        month,
        {%- for column in summed_columns %}
        {{ column if column in columns else 'cast(null as numeric)' }} as {{ column }},
        {%- endfor %}
        {{ 'true' if is_on_spine else 'false' }} as is_on_spine
    from {{ input_cte }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        customer_id,
        month,
        {%- for column in summed_columns[:-1] %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        sum({{ summed_columns[-1] }}) as {{ summed_columns[-1] }}
    from inputs_stacked
    group by
        customer_id,
        month
    having bool_or(is_on_spine)

)

select * from final
