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
-- closed yet wait for its close. The lines are summed per customer-month,
-- unrounded, in int_customer_months_contribution_summed (ephemeral).
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

{%- set fee_categories = contribution_fee_categories() %}

{%- set scope = month_scope(incremental_lineage()) %}

with

-- Ephemeral: the month filter reaches the scans of every input. The
-- trailing window of operational-risk capital reads 11 months before the
-- first rebuilt month.
contribution_inputs as (

    select * from {{ ref('int_customer_months_contribution_summed') }}
    where {{ rebuilt_months(scope, 'month', 11) }}

),

contribution_lines_rounded as (

    select
        customer_id,
        month,
        cast(coalesce(deposit_average_balance, 0) as numeric(18, 2)) as deposit_average_balance,
        cast(coalesce(loan_average_balance, 0) as numeric(18, 2)) as loan_average_balance,
        cast(round(coalesce(deposit_nii_unrounded, 0), 2) as numeric(18, 2)) as deposit_nii,
        cast(round(coalesce(loan_nii_unrounded, 0), 2) as numeric(18, 2)) as loan_nii,
        {%- for fee_category in fee_categories %}
        cast(coalesce(fee_{{ fee_category }}, 0) as numeric(18, 2)) as fee_{{ fee_category }},
        {%- endfor %}
        cast(coalesce(fee_income, 0) as numeric(18, 2)) as fee_income,
        cast(coalesce(deposit_interest_expense, 0) as numeric(18, 2)) as deposit_interest_expense,
        cast(coalesce(loan_interest_income, 0) as numeric(18, 2)) as loan_interest_income,
        cast(round(coalesce(activity_cost, 0), 2) as numeric(18, 2)) as activity_cost,
        cast(
            round(coalesce(relationship_manager_cost_unrounded, 0), 2) as numeric(18, 2)
        ) as relationship_manager_cost,
        cast(round(coalesce(branch_overhead_cost, 0), 2) as numeric(18, 2)) as branch_overhead_cost,
        cast(coalesce(credit_exposure, 0) as numeric(18, 2)) as credit_exposure,
        cast(round(coalesce(expected_loss_unrounded, 0), 2) as numeric(18, 2)) as expected_loss,
        coalesce(credit_capital_unrounded, 0) as credit_capital_unrounded,
        coalesce(interest_rate_liquidity_capital_unrounded, 0)
            as interest_rate_liquidity_capital_unrounded
    from contribution_inputs

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
