-- One row per relationship manager and reporting month with the additive
-- inputs of the RM scorecard (counts and CNY sums, never ratios), so that
-- rm_scorecard_monthly can add managers up to teams before dividing.
-- Attribution:
--   portfolio measures (new customers, surveys, invoices, receivables) go to
--   the manager of the customer (int_customer_rm_assigned, the current
--   assignment applied to every month);
--   pipeline and follow-up measures go to the manager recorded on the CRM
--   opportunity or interaction, so prospects without a customer still count;
--   retention counts the manager's customers not churned at the previous
--   month end (int_customer_months_churn_state) and, of those, the ones still
--   not churned at this month end (null in the first reporting month, which
--   has no previous month end).
with

relationship_managers as (

    select * from {{ ref('stg_crm__relationship_managers') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

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

billing_accounts_matched as (

    select * from {{ ref('int_billing_accounts_matched') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

interactions as (

    select * from {{ ref('stg_crm__interactions') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

customer_months_churn_state as (

    select * from {{ ref('int_customer_months_churn_state') }}

),

rm_months_spined as (

    select
        relationship_managers.rm_id,
        reporting_months.month,
        reporting_months.month_end_date,
        cast(reporting_months.month - interval '1 day' as date) as previous_month_end_date,
        reporting_months.month > min(reporting_months.month) over () as has_previous_month
    from relationship_managers
    cross join reporting_months

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
        cast(date_trunc('month', surveys.responded_at at time zone 'UTC') as date) as month,
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

opportunities_by_rm_month as (

    select
        rm_id,
        cast(date_trunc('month', closed_date) as date) as month,
        count(*) filter (where stage = 'won') as opportunities_won,
        count(*) filter (where stage = 'lost') as opportunities_lost,
        sum(intended_amount) filter (where stage = 'won') as won_intended_amount,
        sum(coalesce(booked_amount, 0)) filter (where stage = 'won') as won_booked_amount,
        sum(abs(coalesce(booked_amount, 0) - intended_amount)) filter (
            where stage = 'won'
        ) as won_forecast_error_amount
    from opportunities
    where
        stage in ('won', 'lost')
        and closed_date is not null
        and rm_id is not null
    group by
        rm_id,
        cast(date_trunc('month', closed_date) as date)

),

follow_ups_by_rm_month as (

    select
        rm_id,
        cast(date_trunc('month', follow_up_due_date) as date) as month,
        count(*) as follow_ups_due,
        count(*) filter (
            where follow_up_done_date
            <= follow_up_due_date + {{ var('rm_scorecard_follow_up_grace_days') }}
        ) as follow_ups_done_on_time
    from interactions
    where
        follow_up_due_date is not null
        and rm_id is not null
        and interaction_type
        in {{ sql_string_list(var('rm_scorecard_follow_up_interaction_types')) }}
    group by
        rm_id,
        cast(date_trunc('month', follow_up_due_date) as date)

),

invoices_joined_to_managers as (

    select
        customer_rm_assigned.rm_id,
        invoices.invoiced_amount,
        invoices.issued_date,
        invoices.paid_date,
        coalesce(invoices.paid_amount, 0) as paid_amount
    from invoices
    inner join billing_accounts_matched
        on invoices.billing_account_id = billing_accounts_matched.billing_account_id
    inner join customer_rm_assigned
        on billing_accounts_matched.customer_id = customer_rm_assigned.customer_id

),

invoices_by_rm_month as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        sum(invoices_joined_to_managers.invoiced_amount) filter (
            where invoices_joined_to_managers.issued_date >= rm_months_spined.month
        ) as billed_amount,
        sum(
            invoices_joined_to_managers.invoiced_amount
            - case
                when invoices_joined_to_managers.paid_date <= rm_months_spined.month_end_date
                    then invoices_joined_to_managers.paid_amount
                else 0
            end
        ) as receivables_outstanding,
        sum(
            invoices_joined_to_managers.invoiced_amount
            - case
                when
                    invoices_joined_to_managers.paid_date
                    <= rm_months_spined.previous_month_end_date
                    then invoices_joined_to_managers.paid_amount
                else 0
            end
        ) filter (
            where
            invoices_joined_to_managers.issued_date
            <= rm_months_spined.previous_month_end_date
        ) as receivables_outstanding_previous
    from rm_months_spined
    inner join invoices_joined_to_managers
        on
            rm_months_spined.rm_id = invoices_joined_to_managers.rm_id
            and rm_months_spined.month_end_date >= invoices_joined_to_managers.issued_date
    group by
        rm_months_spined.rm_id,
        rm_months_spined.month

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
        coalesce(opportunities_by_rm_month.opportunities_won, 0) as opportunities_won,
        coalesce(opportunities_by_rm_month.opportunities_lost, 0) as opportunities_lost,
        cast(
            coalesce(opportunities_by_rm_month.won_intended_amount, 0) as numeric(18, 2)
        ) as won_intended_amount,
        cast(
            coalesce(opportunities_by_rm_month.won_booked_amount, 0) as numeric(18, 2)
        ) as won_booked_amount,
        cast(
            coalesce(opportunities_by_rm_month.won_forecast_error_amount, 0) as numeric(18, 2)
        ) as won_forecast_error_amount,
        cast(coalesce(invoices_by_rm_month.billed_amount, 0) as numeric(18, 2)) as billed_amount,
        cast(
            coalesce(invoices_by_rm_month.receivables_outstanding, 0) as numeric(18, 2)
        ) as receivables_outstanding,
        cast(
            coalesce(invoices_by_rm_month.receivables_outstanding_previous, 0) as numeric(18, 2)
        ) as receivables_outstanding_previous,
        coalesce(follow_ups_by_rm_month.follow_ups_due, 0) as follow_ups_due,
        coalesce(follow_ups_by_rm_month.follow_ups_done_on_time, 0) as follow_ups_done_on_time,
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
    left join opportunities_by_rm_month
        on
            rm_months_spined.rm_id = opportunities_by_rm_month.rm_id
            and rm_months_spined.month = opportunities_by_rm_month.month
    left join follow_ups_by_rm_month
        on
            rm_months_spined.rm_id = follow_ups_by_rm_month.rm_id
            and rm_months_spined.month = follow_ups_by_rm_month.month
    left join invoices_by_rm_month
        on
            rm_months_spined.rm_id = invoices_by_rm_month.rm_id
            and rm_months_spined.month = invoices_by_rm_month.month
    left join retention_by_rm_month
        on
            rm_months_spined.rm_id = retention_by_rm_month.rm_id
            and rm_months_spined.month = retention_by_rm_month.month

)

select * from final
{{ unless_closed_months_changed() }}
