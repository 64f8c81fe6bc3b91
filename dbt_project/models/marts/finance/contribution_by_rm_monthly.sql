-- Contribution per relationship manager and month, in CNY: the sums of
-- fct_customer_contribution_monthly over the customers assigned to the
-- manager (int_customer_rm_assigned: the CRM contact whose CIF equals the
-- customer_id); customers without a manager fall under a null rm_id. The
-- assignment is the current one, applied to every month. Sums of rounded
-- customer lines, so the managers of a month add up exactly to the customer
-- mart. Year-to-date columns sum the months of the calendar year up to and
-- including the month (reset each January). raroc = (gross - cost to serve
-- - expected loss) x 12 / economic capital, null without economic capital.
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

customer_rm_assigned as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

contributions_joined_to_managers as (

    select
        customer_rm_assigned.rm_id,
        contributions.*
    from contributions
    left join customer_rm_assigned
        on contributions.customer_id = customer_rm_assigned.customer_id

),

contributions_by_manager_month as (

    select
        rm_id,
        month,
        {%- for line in summed_lines %}
        cast(sum({{ line }}) as numeric(18, 2)) as {{ line }},
        {%- endfor %}
        cast(count(*) as integer) as customer_count
    from contributions_joined_to_managers
    group by
        rm_id,
        month

),

manager_details_added as (

    select
        contributions_by_manager_month.rm_id,
        relationship_managers.team_name,
        relationship_managers.branch_id as rm_branch_id,
        contributions_by_manager_month.month,
        {%- for line in summed_lines %}
        contributions_by_manager_month.{{ line }},
        {%- endfor %}
        contributions_by_manager_month.customer_count
    from contributions_by_manager_month
    left join relationship_managers
        on contributions_by_manager_month.rm_id = relationship_managers.rm_id

),

final as (

    select
        *,
        {%- for line in ytd_lines %}
        cast(
            sum({{ line }}) over (
                partition by rm_id, date_trunc('year', month)
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
    from manager_details_added

)

select * from final
