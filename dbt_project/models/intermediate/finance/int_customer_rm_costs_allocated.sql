-- Relationship-manager (RM) cost allocated to customers, one row per customer
-- and month in which the customer is active (int_customer_months_active) and
-- carries RM cost. The rule is the `rm_cost_allocation_method` var:
--   activity          each CRM interaction of the month (UTC) costs the hours
--                     of its type (seed rm_interaction_hours) x the ERP unit
--                     cost of `rm_hour` for the month's accounting period. It
--                     is charged to the customer its contact is matched to
--                     (int_crm_contacts_matched, conflicts left out, as for
--                     the assigned RM), whichever RM recorded it and whether
--                     or not the customer has an assigned RM. RM time no
--                     interaction used, interactions with prospects and
--                     interactions outside the customer's active months are
--                     not allocated.
--   equal_split       an RM costs annual_cost / 12 in every month from the
--                     month of hire on, split equally over the RM's assigned
--                     customers active that month.
--   balance_weighted  the same monthly cost split over the RM's assigned
--                     active customers in proportion to their average balance
--                     of the month over all their accounts; when those
--                     balances add up to zero the month's cost stays
--                     unallocated.
-- Under the split rules one RM's allocations of a month add up to the monthly
-- cost exactly before rounding. Whatever is not allocated stays in the branch
-- operating expense residual of contribution_gl_reconciliation.
-- A missing `rm_hour` unit cost or an interaction type without hours leaves
-- relationship_manager_cost null, which its not_null test turns into a
-- failed build instead of a customer who silently costs nothing.
-- Every rule's inputs are dependencies whatever the var says, so that a
-- build with another rule (--vars) finds them built:
-- depends_on: {{ ref('stg_crm__interactions') }}
-- depends_on: {{ ref('int_crm_contacts_matched') }}
-- depends_on: {{ ref('stg_erp__unit_costs') }}
-- depends_on: {{ ref('rm_interaction_hours') }}
-- depends_on: {{ ref('stg_crm__relationship_managers') }}
-- depends_on: {{ ref('int_account_months_priced') }}
{%- set allocation_method = var('rm_cost_allocation_method') %}
{%- if allocation_method not in ['activity', 'equal_split', 'balance_weighted'] %}
    {{ exceptions.raise_compiler_error(
        "rm_cost_allocation_method must be activity, equal_split or balance_weighted, not "
        ~ allocation_method
    ) }}
{%- endif %}
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}

),

customer_rm_assigned as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

{%- if allocation_method == 'activity' %}

interactions as (

    select * from {{ ref('stg_crm__interactions') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

unit_costs as (

    select * from {{ ref('stg_erp__unit_costs') }}

),

rm_interaction_hours as (

    select * from {{ ref('rm_interaction_hours') }}

),

interactions_to_customer_months as (

    select
        crm_contacts_matched.customer_id,
        cast(date_trunc('month', {{
            utc_wall_clock('interactions.occurred_at')
        }}) as date) as month,
        interactions.interaction_type
    from interactions
    inner join crm_contacts_matched
        on interactions.contact_id = crm_contacts_matched.contact_id
    where
        crm_contacts_matched.customer_id is not null
        and not crm_contacts_matched.is_conflict

),

interactions_costed as (

    select
        interactions_to_customer_months.customer_id,
        interactions_to_customer_months.month,
        rm_interaction_hours.hours,
        unit_costs.unit_cost as rm_hour_unit_cost,
        rm_interaction_hours.hours * unit_costs.unit_cost as interaction_cost
    from interactions_to_customer_months
    -- only the customer's active months, which are reporting months
    inner join customer_months_active
        on
            interactions_to_customer_months.customer_id = customer_months_active.customer_id
            and interactions_to_customer_months.month = customer_months_active.month
    left join rm_interaction_hours
        on interactions_to_customer_months.interaction_type = rm_interaction_hours.interaction_type
    left join unit_costs
        on
            unit_costs.activity = 'rm_hour'
            and {{ format_date('interactions_to_customer_months.month', 'YYYY-MM') }}
            = unit_costs.accounting_period

),

customer_costs as (

    -- sum() would skip a null cost; the bool_or keeps it null instead
    select
        interactions_costed.customer_id,
        interactions_costed.month,
        customer_rm_assigned.rm_id,
        cast(null as numeric) as rm_monthly_cost,
        cast(null as integer) as rm_customer_count,
        cast(null as numeric) as average_balance,
        cast(count(*) as integer) as interaction_count,
        sum(interactions_costed.hours) as interaction_hours,
        max(interactions_costed.rm_hour_unit_cost) as rm_hour_unit_cost,
        case
            when not bool_or(interactions_costed.interaction_cost is null)
                then sum(interactions_costed.interaction_cost)
        end as relationship_manager_cost
    from interactions_costed
    left join customer_rm_assigned
        on interactions_costed.customer_id = customer_rm_assigned.customer_id
    group by
        interactions_costed.customer_id,
        interactions_costed.month,
        customer_rm_assigned.rm_id

),

{%- else %}

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

{%- if allocation_method == 'balance_weighted' %}

account_months_priced as (

    select * from {{ ref('int_account_months_priced') }}

),

balances_by_customer_month as (

    select
        customer_id,
        month,
        sum(average_balance) as average_balance
    from account_months_priced
    group by
        customer_id,
        month

),

{%- endif %}

customer_months_joined_to_managers as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        customer_rm_assigned.rm_id,
        -- the annual cost spread over the twelve months of a year
        relationship_managers.annual_cost / 12 as rm_monthly_cost,
        {%- if allocation_method == 'balance_weighted' %}
        coalesce(balances_by_customer_month.average_balance, 0) as average_balance
        {%- else %}
        cast(null as numeric) as average_balance
        {%- endif %}
    from customer_months_active
    inner join customer_rm_assigned
        on customer_months_active.customer_id = customer_rm_assigned.customer_id
    inner join relationship_managers
        on customer_rm_assigned.rm_id = relationship_managers.rm_id
    {%- if allocation_method == 'balance_weighted' %}
    left join balances_by_customer_month
        on
            customer_months_active.customer_id = balances_by_customer_month.customer_id
            and customer_months_active.month = balances_by_customer_month.month
    {%- endif %}
    where relationship_managers.hired_date <= customer_months_active.month_end_date

),

manager_costs_split as (

    select
        customer_id,
        month,
        rm_id,
        rm_monthly_cost,
        average_balance,
        count(*) over (partition by rm_id, month) as rm_customer_count,
        sum(average_balance) over (partition by rm_id, month) as rm_average_balance
    from customer_months_joined_to_managers

),

customer_costs as (

    select
        customer_id,
        month,
        rm_id,
        rm_monthly_cost,
        cast(rm_customer_count as integer) as rm_customer_count,
        average_balance,
        cast(null as integer) as interaction_count,
        cast(null as numeric) as interaction_hours,
        cast(null as numeric) as rm_hour_unit_cost,
        {%- if allocation_method == 'balance_weighted' %}
        rm_monthly_cost * average_balance / rm_average_balance as relationship_manager_cost
    from manager_costs_split
    where rm_average_balance != 0
        {%- else %}
        rm_monthly_cost / rm_customer_count as relationship_manager_cost
    from manager_costs_split
        {%- endif %}

),

{%- endif %}

final as (

    select
        customer_id,
        month,
        '{{ allocation_method }}' as allocation_method,
        rm_id,
        rm_monthly_cost,
        rm_customer_count,
        average_balance,
        interaction_count,
        interaction_hours,
        rm_hour_unit_cost,
        relationship_manager_cost
    from customer_costs

)

select * from final
{{ unless_closed_months_changed() }}
