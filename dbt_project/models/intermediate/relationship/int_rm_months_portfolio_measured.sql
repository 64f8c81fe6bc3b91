-- The RM scorecard's measures of a manager's customers, per manager and
-- reporting month (int_rm_months_spined): new customers, satisfaction
-- surveys and retention. Each goes to the manager of the customer
-- (int_customer_rm_assigned, the current assignment applied to every month).
-- Retention counts the manager's customers not churned at the previous month
-- end (int_customer_months_churn_state) and, of those, the ones still not
-- churned at this month end (null in the first reporting month, which has no
-- previous month end). Months without activity carry 0.
with

rm_months_spined as (

    select * from {{ ref('int_rm_months_spined') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

customer_rm_assigned as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}

),

customer_months_churn_state as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

new_customers_by_rm_month as (

    select
        customer_rm_assigned.rm_id,
        cast(date_trunc('month', customers.onboarded_date) as date) as month,
        count(*) as new_customers_won
    from customers
    inner join customer_rm_assigned
        on customers.customer_id = customer_rm_assigned.customer_id
    group by
        customer_rm_assigned.rm_id,
        cast(date_trunc('month', customers.onboarded_date) as date)

),

surveys_joined_to_managers as (

    select
        customer_rm_assigned.rm_id,
        cast(date_trunc('month', {{ utc_wall_clock('surveys.responded_at') }}) as date) as month,
        surveys.satisfaction_score
    from surveys
    inner join crm_contacts_matched
        on surveys.contact_id = crm_contacts_matched.contact_id
    inner join customer_rm_assigned
        on crm_contacts_matched.customer_id = customer_rm_assigned.customer_id
    where
        not crm_contacts_matched.is_conflict
        and surveys.satisfaction_score is not null

),

surveys_by_rm_month as (

    select
        rm_id,
        month,
        count(*) as surveys,
        sum(satisfaction_score) as satisfaction_score_total
    from surveys_joined_to_managers
    group by rm_id, month

),

retention_by_rm_month as (

    select
        customer_rm_assigned.rm_id,
        customer_months_churn_state.month,
        count(*) as retention_base_customers,
        count(*) filter (where not customer_months_churn_state.is_churned) as retained_customers
    from customer_months_churn_state
    inner join customer_rm_assigned
        on customer_months_churn_state.customer_id = customer_rm_assigned.customer_id
    where not customer_months_churn_state.was_churned_previous_month
    group by
        customer_rm_assigned.rm_id,
        customer_months_churn_state.month

),

final as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        coalesce(new_customers_by_rm_month.new_customers_won, 0) as new_customers_won,
        coalesce(surveys_by_rm_month.surveys, 0) as surveys,
        coalesce(surveys_by_rm_month.satisfaction_score_total, 0) as satisfaction_score_total,
        case
            when rm_months_spined.has_previous_month
                then coalesce(retention_by_rm_month.retention_base_customers, 0)
        end as retention_base_customers,
        case
            when rm_months_spined.has_previous_month
                then coalesce(retention_by_rm_month.retained_customers, 0)
        end as retained_customers
    from rm_months_spined
    left join new_customers_by_rm_month
        on
            rm_months_spined.rm_id = new_customers_by_rm_month.rm_id
            and rm_months_spined.month = new_customers_by_rm_month.month
    left join surveys_by_rm_month
        on
            rm_months_spined.rm_id = surveys_by_rm_month.rm_id
            and rm_months_spined.month = surveys_by_rm_month.month
    left join retention_by_rm_month
        on
            rm_months_spined.rm_id = retention_by_rm_month.rm_id
            and rm_months_spined.month = retention_by_rm_month.month

)

select * from final
{{ unless_closed_months_changed() }}
