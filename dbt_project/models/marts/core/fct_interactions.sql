-- Grain: one row per CRM interaction (interaction_id): visits, calls and
-- complaints, with the customer of the contact from the golden record
-- (int_crm_contacts_matched; null when the contact is not a matched
-- customer) and follow-up timeliness measured against the latest reporting
-- month end.
with

interactions as (

    select * from {{ ref('stg_crm__interactions') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

data_as_of as (

    select max(month_end_date) as as_of_date
    from reporting_months

),

interactions_joined_to_customers as (

    select
        interactions.interaction_id,
        interactions.contact_id,
        crm_contacts_matched.customer_id,
        interactions.rm_id,
        interactions.interaction_type,
        interactions.occurred_at,
        cast({{ utc_wall_clock('interactions.occurred_at') }} as date) as occurred_date,
        interactions.follow_up_due_date,
        interactions.follow_up_done_date,
        data_as_of.as_of_date
    from interactions
    cross join data_as_of
    left join crm_contacts_matched
        on interactions.contact_id = crm_contacts_matched.contact_id

),

follow_ups_measured as (

    select
        interaction_id,
        contact_id,
        customer_id,
        rm_id,
        interaction_type,
        occurred_at,
        occurred_date,
        follow_up_due_date,
        follow_up_done_date,
        {{ days_between('follow_up_done_date', 'occurred_date') }} as days_to_follow_up,
        case
            when follow_up_due_date is null
                then null
            when follow_up_done_date is not null
                then follow_up_done_date <= follow_up_due_date
            when follow_up_due_date < as_of_date
                then false
        end as is_follow_up_on_time
    from interactions_joined_to_customers

),

final as (

    select * from follow_ups_measured

)

select * from final
