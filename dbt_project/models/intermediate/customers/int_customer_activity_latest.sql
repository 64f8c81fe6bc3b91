-- Latest activity per customer: the last transaction, the last CRM
-- interaction, the latest satisfaction survey and the count of open
-- opportunities. One row per customer with at least one of them; absent
-- facts stay null (open_opportunity_count is null without an open
-- opportunity, so customer_360 can tell "none" from a count). CRM facts
-- reach the customer through the golden record (int_crm_contacts_matched).
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

last_transactions_by_customer as (

    select
        customer_id,
        max(posted_at) as last_transaction_at
    from transactions
    group by customer_id

),

interactions_ranked as (

    select
        customer_id,
        occurred_at,
        interaction_type,
        row_number() over (
            partition by customer_id
            order by occurred_at desc, interaction_id desc
        ) as recency_rank
    from interactions
    where customer_id is not null

),

last_interactions_by_customer as (

    select * from interactions_ranked
    where recency_rank = 1

),

surveys_ranked as (

    select
        crm_contacts_matched.customer_id,
        surveys.satisfaction_score,
        surveys.responded_at,
        row_number() over (
            partition by crm_contacts_matched.customer_id
            order by surveys.responded_at desc, surveys.survey_id desc
        ) as recency_rank
    from surveys
    inner join crm_contacts_matched
        on surveys.contact_id = crm_contacts_matched.contact_id
    where crm_contacts_matched.customer_id is not null

),

latest_surveys_by_customer as (

    select * from surveys_ranked
    where recency_rank = 1

),

open_opportunities_by_customer as (

    select
        customer_id,
        count(*) as open_opportunity_count
    from opportunities
    where
        is_open
        and customer_id is not null
    group by customer_id

),

customers_with_activity as (

    select customer_id from last_transactions_by_customer
    union
    select customer_id from last_interactions_by_customer
    union
    select customer_id from latest_surveys_by_customer
    union
    select customer_id from open_opportunities_by_customer

),

final as (

    select
        customers_with_activity.customer_id,
        last_transactions_by_customer.last_transaction_at,
        last_interactions_by_customer.occurred_at as last_interaction_at,
        last_interactions_by_customer.interaction_type as last_interaction_type,
        latest_surveys_by_customer.satisfaction_score as latest_satisfaction_score,
        latest_surveys_by_customer.responded_at as latest_survey_responded_at,
        open_opportunities_by_customer.open_opportunity_count
    from customers_with_activity
    left join last_transactions_by_customer
        on customers_with_activity.customer_id = last_transactions_by_customer.customer_id
    left join last_interactions_by_customer
        on customers_with_activity.customer_id = last_interactions_by_customer.customer_id
    left join latest_surveys_by_customer
        on customers_with_activity.customer_id = latest_surveys_by_customer.customer_id
    left join open_opportunities_by_customer
        on customers_with_activity.customer_id = open_opportunities_by_customer.customer_id

)

select * from final
