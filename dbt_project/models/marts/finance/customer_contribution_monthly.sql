-- Contribution (客户贡献度) per customer and month, in CNY: deposit and loan net
-- interest income against the FTP curve, fee income by category, cost to
-- serve, expected loss and the charge for the economic capital tied up, down
-- to net contribution (EVA) and RAROC.
--
-- Rounding: every line is summed unrounded over the customer's accounts and
-- activities and rounded once to cents per customer-month. The totals are
-- then built from the rounded lines, so these identities hold to the cent:
--   gross_contribution = deposit_nii + loan_nii + fee_income
--   cost_to_serve      = activity_cost + relationship_manager_cost
--                        + branch_overhead_cost
--   net_contribution   = gross_contribution - cost_to_serve - expected_loss
--                        - capital_charge
-- Economic capital (经济资本) covers three risks, each a column rounded to
-- cents, and economic_capital is their sum to the cent:
--   credit_capital           credit exposure x the ratio of its rating or
--                            product family (int_credit_account_months_risk_measured)
--   operational_risk_capital the Basel basic-indicator share
--                            (contribution_operational_risk_alpha) of the
--                            customer's annual gross income: the average
--                            monthly gross_contribution of the customer's
--                            months in the trailing 12 (this one included)
--                            x 12, counted as zero when negative
--   interest_rate_liquidity_capital  deposit average balance x the ratio of
--                            its product family (int_account_months_priced)
-- capital_charge = economic capital x the contribution_hurdle_rate var / 12,
-- computed from the unrounded capital lines. raroc is left null where
-- economic capital is below the raroc_min_economic_capital var: a return on
-- next to no capital is not a rate anyone can act on.
-- Months are reporting (closed) months: fees posted in a month that has not
-- closed yet wait for its close.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch, reading 11 months before the first for the
-- trailing window. The grain is a unique index: PostgreSQL refuses a
-- duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
        ]
    )
}}

{%- set fee_categories = [
    'settlement',
    'wealth_management',
    'agency_insurance',
    'cards',
    'e_banking',
    'international',
    'investment_banking',
] %}

{%- set scope = month_scope(incremental_lineage()) %}

with

account_months_open as (

    select * from {{ ref('int_account_months_open') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}
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

account_activity_months_costed as (

    select * from {{ ref('int_account_activity_months_costed') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

customer_rm_costs_allocated as (

    select * from {{ ref('int_customer_rm_costs_allocated') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

account_months_overhead_allocated as (

    select * from {{ ref('int_account_months_overhead_allocated') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

credit_account_months_risk_measured as (

    select * from {{ ref('int_credit_account_months_risk_measured') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

fee_postings_to_months as (

    select
        fee_postings.customer_id,
        reporting_months.month,
        fee_postings.fee_category,
        fee_postings.amount
    from fee_postings
    inner join reporting_months
        on cast(date_trunc('month', fee_postings.posted_date) as date) = reporting_months.month

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

    union

    select
        customer_id,
        month
    from account_activity_months_costed

    union

    select
        customer_id,
        month
    from customer_rm_costs_allocated

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
        cast(coalesce(fees_by_customer_month.fee_income, 0) as numeric(18, 2)) as fee_income,
        cast(
            coalesce(interest_by_customer_month.deposit_interest_expense, 0) as numeric(18, 2)
        ) as deposit_interest_expense,
        cast(
            coalesce(interest_by_customer_month.loan_interest_income, 0) as numeric(18, 2)
        ) as loan_interest_income,
        cast(
            round(coalesce(activity_costs_by_customer_month.activity_cost, 0), 2)
            as numeric(18, 2)
        ) as activity_cost,
        cast(
            round(coalesce(rm_costs_by_customer_month.relationship_manager_cost_unrounded, 0), 2)
            as numeric(18, 2)
        ) as relationship_manager_cost,
        cast(
            round(coalesce(overhead_by_customer_month.branch_overhead_cost, 0), 2)
            as numeric(18, 2)
        ) as branch_overhead_cost,
        cast(
            coalesce(risk_by_customer_month.credit_exposure, 0) as numeric(18, 2)
        ) as credit_exposure,
        cast(
            round(coalesce(risk_by_customer_month.expected_loss_unrounded, 0), 2)
            as numeric(18, 2)
        ) as expected_loss,
        coalesce(risk_by_customer_month.credit_capital_unrounded, 0)
            as credit_capital_unrounded,
        coalesce(interest_by_customer_month.interest_rate_liquidity_capital_unrounded, 0)
            as interest_rate_liquidity_capital_unrounded
    from customer_months
    left join interest_by_customer_month
        on
            customer_months.customer_id = interest_by_customer_month.customer_id
            and customer_months.month = interest_by_customer_month.month
    left join fees_by_customer_month
        on
            customer_months.customer_id = fees_by_customer_month.customer_id
            and customer_months.month = fees_by_customer_month.month
    left join activity_costs_by_customer_month
        on
            customer_months.customer_id = activity_costs_by_customer_month.customer_id
            and customer_months.month = activity_costs_by_customer_month.month
    left join rm_costs_by_customer_month
        on
            customer_months.customer_id = rm_costs_by_customer_month.customer_id
            and customer_months.month = rm_costs_by_customer_month.month
    left join overhead_by_customer_month
        on
            customer_months.customer_id = overhead_by_customer_month.customer_id
            and customer_months.month = overhead_by_customer_month.month
    left join risk_by_customer_month
        on
            customer_months.customer_id = risk_by_customer_month.customer_id
            and customer_months.month = risk_by_customer_month.month

),

totals_from_rounded_lines as (

    select
        *,
        cast(deposit_nii + loan_nii + fee_income as numeric(18, 2)) as gross_contribution,
        cast(
            activity_cost + relationship_manager_cost + branch_overhead_cost as numeric(18, 2)
        ) as cost_to_serve
    from contribution_lines_rounded

),

operational_risk_capital_measured as (

    select
        *,
        {{ var('contribution_operational_risk_alpha') }} * greatest(
            avg(gross_contribution) over (
                partition by customer_id
                order by month
                range between interval '11 months' preceding and current row
            ) * 12,
            0
        ) as operational_risk_capital_unrounded
    from totals_from_rounded_lines

),

capital_lines_rounded as (

    select
        *,
        cast(round(credit_capital_unrounded, 2) as numeric(18, 2)) as credit_capital,
        cast(
            round(operational_risk_capital_unrounded, 2) as numeric(18, 2)
        ) as operational_risk_capital,
        cast(
            round(interest_rate_liquidity_capital_unrounded, 2) as numeric(18, 2)
        ) as interest_rate_liquidity_capital,
        -- the annual hurdle on economic capital spread over the 12 months of a year
        cast(
            round(
                (
                    credit_capital_unrounded
                    + operational_risk_capital_unrounded
                    + interest_rate_liquidity_capital_unrounded
                ) * {{ var('contribution_hurdle_rate') }} / 12,
                2
            )
            as numeric(18, 2)
        ) as capital_charge
    from operational_risk_capital_measured

),

net_contribution_added as (

    select
        *,
        cast(
            credit_capital + operational_risk_capital + interest_rate_liquidity_capital
            as numeric(18, 2)
        ) as economic_capital,
        cast(
            gross_contribution - cost_to_serve - expected_loss - capital_charge
            as numeric(18, 2)
        ) as net_contribution
    from capital_lines_rounded

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
        gross_contribution,
        deposit_interest_expense,
        loan_interest_income,
        activity_cost,
        relationship_manager_cost,
        branch_overhead_cost,
        cost_to_serve,
        credit_exposure,
        expected_loss,
        credit_capital,
        operational_risk_capital,
        interest_rate_liquidity_capital,
        economic_capital,
        capital_charge,
        net_contribution,
        {{ contribution_raroc() }} as raroc,
        deposit_nii as deposit_contribution,
        -- lending carries the charge on its own (credit) capital only
        cast(
            loan_nii - expected_loss
            - round(credit_capital * {{ var('contribution_hurdle_rate') }} / 12, 2)
            as numeric(18, 2)
        ) as loan_contribution,
        net_contribution as comprehensive_contribution
    from net_contribution_added

)

select * from final
where {{ rebuilt_months(scope) }}
