-- Contribution per customer segment and month, in CNY: the sums of
-- fct_customer_contribution_monthly over the customers of the core-banking
-- segment (retail: mass, affluent, private; corporate: sme, mid_market,
-- large); customers missing from core banking fall under a null segment.
-- Sums of rounded customer lines, so the segments of a month add up exactly
-- to the customer mart. Year-to-date columns sum the months of the calendar
-- year up to and including the month (reset each January). raroc = (gross -
-- cost to serve - expected loss) x 12 / economic capital, null without
-- economic capital.
{%- set summed_lines = [
    'deposit_average_balance',
    'loan_average_balance',
    'credit_exposure',
    'deposit_nii',
    'loan_nii',
    'fee_income',
    'gross_contribution',
    'activity_cost',
    'relationship_manager_cost',
    'cost_to_serve',
    'expected_loss',
    'economic_capital',
    'capital_charge',
    'net_contribution',
    'deposit_contribution',
    'loan_contribution',
    'comprehensive_contribution',
] %}
{%- set ytd_lines = [
    'gross_contribution',
    'cost_to_serve',
    'expected_loss',
    'capital_charge',
    'net_contribution',
] %}

with

contributions as (

    select * from {{ ref('fct_customer_contribution_monthly') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contributions_joined_to_segments as (

    select
        customers.customer_type,
        customers.segment,
        contributions.*
    from contributions
    left join customers
        on contributions.customer_id = customers.customer_id

),

contributions_by_segment_month as (

    select
        customer_type,
        segment,
        month,
        {%- for line in summed_lines %}
        cast(sum({{ line }}) as numeric(18, 2)) as {{ line }},
        {%- endfor %}
        cast(count(*) as integer) as customer_count
    from contributions_joined_to_segments
    group by
        customer_type,
        segment,
        month

),

final as (

    select
        *,
        {%- for line in ytd_lines %}
        cast(
            sum({{ line }}) over (
                partition by customer_type, segment, date_trunc('year', month)
                order by month
                rows between unbounded preceding and current row
            ) as numeric(18, 2)
        ) as {{ line }}_ytd,
        {%- endfor %}
        -- annualised: the month's risk-adjusted return times the 12 months of a year
        case
            when economic_capital <> 0
                then
                    round(
                        (gross_contribution - cost_to_serve - expected_loss) * 12
                        / economic_capital,
                        6
                    )
        end as raroc
    from contributions_by_segment_month

)

select * from final
