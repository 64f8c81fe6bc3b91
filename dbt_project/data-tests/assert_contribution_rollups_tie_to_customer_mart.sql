-- The branch, relationship-manager and segment rollups are sums of rounded
-- customer lines, so for every month and line their totals must equal the
-- customer mart's to the cent (and their customer counts its row count).
-- Returns one row per rollup, month and line that does not tie.
{%- set lines = [
    'deposit_nii',
    'loan_nii',
    'fee_income',
    'gross_contribution',
    'cost_to_serve',
    'expected_loss',
    'economic_capital',
    'capital_charge',
    'net_contribution',
    'customer_count',
] %}

with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

contributions_by_branch as (

    select * from {{ ref('contribution_by_branch_monthly') }}

),

contributions_by_rm as (

    select * from {{ ref('contribution_by_rm_monthly') }}

),

contributions_by_segment as (

    select * from {{ ref('contribution_by_segment_monthly') }}

),

customer_counts_added as (

    select
        *,
        1 as customer_count
    from contributions

),

rollup_totals_by_month as (

    select
        {%- for line in lines %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        'contribution_by_branch_monthly' as rollup_name,
        month
    from contributions_by_branch
    group by month

    union all

    select
        {%- for line in lines %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        'contribution_by_rm_monthly' as rollup_name,
        month
    from contributions_by_rm
    group by month

    union all

    select
        {%- for line in lines %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        'contribution_by_segment_monthly' as rollup_name,
        month
    from contributions_by_segment
    group by month

),

mart_totals_by_month as (

    select
        {%- for line in lines %}
        sum({{ line }}) as {{ line }},
        {%- endfor %}
        month
    from customer_counts_added
    group by month

),

lines_compared as (

    {%- for line in lines %}

    select
        rollup_totals_by_month.rollup_name,
        coalesce(rollup_totals_by_month.month, mart_totals_by_month.month) as month,
        '{{ line }}' as line_name,
        mart_totals_by_month.{{ line }} as mart_total,
        rollup_totals_by_month.{{ line }} as rollup_total
    from rollup_totals_by_month
    full outer join mart_totals_by_month
        on rollup_totals_by_month.month = mart_totals_by_month.month
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select * from lines_compared
    where mart_total is distinct from rollup_total

)

select * from final
