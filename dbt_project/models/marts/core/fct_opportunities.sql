-- Grain: one row per CRM opportunity (opportunity_id) of the key-account
-- pipeline (大客户开发跟踪表), with the customer of the contact from the
-- golden record (int_crm_contacts_matched; null for prospects and unmatched
-- contacts).
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

opportunities_joined_to_customers as (

    select
        opportunities.opportunity_id,
        opportunities.contact_id,
        crm_contacts_matched.customer_id,
        opportunities.rm_id,
        opportunities.product_code,
        cast(opportunities.intended_amount as numeric(18, 2)) as intended_amount,
        opportunities.stage,
        opportunities.created_at,
        opportunities.expected_close_date,
        cast(opportunities.booked_amount as numeric(18, 2)) as booked_amount,
        opportunities.closed_date,
        opportunities.stage = 'won' as is_won,
        opportunities.stage not in ('won', 'lost') as is_open
    from opportunities
    left join crm_contacts_matched
        on opportunities.contact_id = crm_contacts_matched.contact_id

),

final as (

    select * from opportunities_joined_to_customers

)

select * from final
