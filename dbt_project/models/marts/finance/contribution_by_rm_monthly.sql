-- Contribution per relationship manager and month, in CNY: the sums of
-- customer_contribution_monthly over the customers assigned to the
-- manager (int_customer_rm_assigned: the CRM contact whose CIF equals the
-- customer_id); customers without a manager fall under a null rm_id. The
-- assignment is the current one, applied to every month. Sums of rounded
-- customer lines, so the managers of a month add up exactly to the customer
-- mart. Year-to-date columns sum the months of the calendar year up to and
-- including the month (reset each January). raroc = (gross - cost to serve
-- - expected loss) x 12 / economic capital, null below the
-- raroc_min_economic_capital var.

with

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

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

    {{ contribution_summed_by('contributions_joined_to_managers', ['rm_id']) }}

),

manager_details_added as (

    select
        contributions_by_manager_month.rm_id,
        relationship_managers.team_name,
        relationship_managers.branch_id as rm_branch_id,
        contributions_by_manager_month.month,
        {%- for line in contribution_summed_lines() %}
        contributions_by_manager_month.{{ line }},
        {%- endfor %}
        contributions_by_manager_month.customer_count
    from contributions_by_manager_month
    left join relationship_managers
        on contributions_by_manager_month.rm_id = relationship_managers.rm_id

),

final as (

    {{ contribution_ytd_and_raroc('manager_details_added', ['rm_id']) }}

)

select * from final
{{ unless_closed_months_changed() }}
