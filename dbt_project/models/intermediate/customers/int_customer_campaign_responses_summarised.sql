-- Campaign responses per customer in the 12 months to the latest reporting
-- month, over every CRM contact matched to the customer (a duplicate contact's
-- responses count for its customer). Customers without a response have no row.
with

campaign_responses as (

    select * from {{ ref('stg_crm__campaign_responses') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

l12m_window as (

    select
        cast(max(month) - interval '11 months' as date) as window_start,
        cast(max(month) + interval '1 month' as date) as window_end
    from reporting_months

),

responses_in_window as (

    select
        crm_contacts_matched.customer_id,
        campaign_responses.response
    from campaign_responses
    inner join crm_contacts_matched
        on campaign_responses.contact_id = crm_contacts_matched.contact_id
    cross join l12m_window
    where
        crm_contacts_matched.customer_id is not null
        and cast({{ utc_wall_clock('campaign_responses.responded_at') }} as date)
        >= l12m_window.window_start
        and cast({{ utc_wall_clock('campaign_responses.responded_at') }} as date)
        < l12m_window.window_end

),

final as (

    select
        customer_id,
        count(*) as campaign_responses_l12m,
        count(*) filter (where response = 'accepted') as campaign_acceptances_l12m
    from responses_in_window
    group by customer_id

)

select * from final
