-- The product-family rollup is built from account-level lines rounded once
-- per family and month, the customer mart from the same lines rounded once
-- per customer-month. Per month, each line may therefore differ by at most
-- half a cent per customer-month and rounded component: one component for
-- deposit_nii, loan_nii, two for cost_to_serve (the relationship-manager and
-- branch-overhead parts; the activity part is exact), expected_loss, credit_capital,
-- interest_rate_liquidity_capital and capital_charge, two for
-- gross_contribution and economic_capital, six for net_contribution. Fee
-- income and operational_risk_capital (taken from the customer mart) are
-- exact. Returns the month-lines beyond that tolerance.
{%- set components = {
    'deposit_nii': 1,
    'loan_nii': 1,
    'fee_income': 0,
    'gross_contribution': 2,
    'cost_to_serve': 2,
    'expected_loss': 1,
    'credit_capital': 1,
    'operational_risk_capital': 0,
    'interest_rate_liquidity_capital': 1,
    'economic_capital': 2,
    'capital_charge': 1,
    'net_contribution': 6,
} %}

with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

contributions_by_product_family as (

    select * from {{ ref('contribution_by_product_family_monthly') }}

),

mart_totals_by_month as (

    select
        month,
        {%- for line in components %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        count(*) as customer_months
    from contributions
    group by month

),

family_totals_by_month as (

    select
        {%- for line in components %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        month
    from contributions_by_product_family
    group by month

),

lines_compared as (

    {%- for line, count in components.items() %}

    select
        coalesce(family_totals_by_month.month, mart_totals_by_month.month) as month,
        '{{ line }}' as line_name,
        coalesce(mart_totals_by_month.{{ line }}, 0) as mart_total,
        coalesce(family_totals_by_month.{{ line }}, 0) as family_total,
        0.005 * {{ count }} * coalesce(mart_totals_by_month.customer_months, 0) as tolerance
    from family_totals_by_month
    full outer join mart_totals_by_month
        on family_totals_by_month.month = mart_totals_by_month.month
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select * from lines_compared
    where abs(mart_total - family_total) > tolerance

)

select * from final
