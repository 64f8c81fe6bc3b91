{#
    Shared by the contribution_by_*_monthly rollups, so every rollup sums the
    same lines and computes year to date and RAROC the same way.
#}

{# The customer-mart lines a rollup sums (CNY). #}
{% macro contribution_summed_lines() %}
    {{ return([
        'deposit_average_balance', 'loan_average_balance', 'credit_exposure',
        'deposit_nii', 'loan_nii', 'fee_income', 'gross_contribution',
        'activity_cost', 'relationship_manager_cost', 'branch_overhead_cost', 'cost_to_serve',
        'expected_loss', 'credit_capital', 'operational_risk_capital',
        'interest_rate_liquidity_capital', 'economic_capital', 'capital_charge',
        'net_contribution',
        'deposit_contribution', 'loan_contribution', 'comprehensive_contribution',
    ]) }}
{% endmacro %}

{#
    Sums of rounded customer lines per group and month, so the groups of a
    month add up exactly to the customer mart.
#}
{% macro contribution_summed_by(relation, group_columns) %}
    select
        {{ group_columns | join(', ') }},
        month,
        {%- for line in contribution_summed_lines() %}
        cast(sum({{ line }}) as numeric(18, 2)) as {{ line }},
        {%- endfor %}
        cast(count(*) as integer) as customer_count
    from {{ relation }}
    group by {{ group_columns | join(', ') }}, month
{% endmacro %}

{#
    The annualised risk-adjusted return on capital of a row's lines:
    (gross - cost to serve - expected loss) x 12 / economic capital, null
    where economic capital is below the raroc_min_economic_capital var.
#}
{% macro contribution_raroc() %}
    cast(
        case
            when economic_capital >= {{ var('raroc_min_economic_capital') }}
                then round(
                    (gross_contribution - cost_to_serve - expected_loss) * 12
                    / economic_capital,
                    6
                )
        end as numeric(18, 6)
    )
{% endmacro %}

{#
    Adds `<line>_ytd` (months of the calendar year up to and including the
    month; resets each January) and raroc (contribution_raroc).
#}
{% macro contribution_ytd_and_raroc(relation, partition_columns) %}
    {%- set ytd_lines = [
        'gross_contribution', 'cost_to_serve', 'expected_loss',
        'capital_charge', 'net_contribution',
    ] %}
    select
        *,
        {%- for line in ytd_lines %}
        cast(
            sum({{ line }}) over (
                partition by {{ partition_columns | join(', ') }}, date_trunc('year', month)
                order by month
                rows between unbounded preceding and current row
            ) as numeric(18, 2)
        ) as {{ line }}_ytd,
        {%- endfor %}
        {{ contribution_raroc() }} as raroc
    from {{ relation }}
{% endmacro %}
