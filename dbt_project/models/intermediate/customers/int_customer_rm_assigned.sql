-- The relationship manager of each customer, taken from the golden customer
-- record: CRM contacts matched to the customer by any rule (CIF, national ID,
-- name + phone, name + e-mail; see int_crm_contacts_matched), not flagged as
-- a conflict, and carrying an rm_id. When several contacts qualify, the most
-- recently updated one wins (ties broken by contact_id).
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

contacts_matched_to_customers as (

    select
        crm_contacts_matched.customer_id,
        contacts.contact_id,
        contacts.rm_id,
        contacts.updated_at as contact_updated_at,
        crm_contacts_matched.match_rule,
        row_number() over (
            partition by crm_contacts_matched.customer_id
            order by contacts.updated_at desc, contacts.contact_id desc
        ) as contact_rank
    from contacts
    inner join crm_contacts_matched
        on contacts.contact_id = crm_contacts_matched.contact_id
    where
        crm_contacts_matched.customer_id is not null
        and not crm_contacts_matched.is_conflict
        and contacts.rm_id is not null

),

final as (

    select
        customer_id,
        rm_id,
        contact_id,
        contact_updated_at,
        match_rule as match_method
    from contacts_matched_to_customers
    where contact_rank = 1

)

select * from final
{{ unless_closed_months_changed() }}
