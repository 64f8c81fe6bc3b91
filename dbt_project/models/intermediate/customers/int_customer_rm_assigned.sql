-- The relationship manager of each customer, taken from CRM contacts whose
-- CIF (claimed_customer_id) equals an existing core-banking customer_id
-- exactly and that carry an rm_id. When several contacts match, the most
-- recently updated one wins (ties broken by contact_id). Matching on national
-- ID, name, phone or e-mail is not done here.
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

contacts_matched_by_cif as (

    select
        customers.customer_id,
        contacts.contact_id,
        contacts.rm_id,
        contacts.updated_at as contact_updated_at,
        row_number() over (
            partition by customers.customer_id
            order by contacts.updated_at desc, contacts.contact_id desc
        ) as contact_rank
    from contacts
    inner join customers
        on contacts.claimed_customer_id = customers.customer_id
    where contacts.rm_id is not null

),

final as (

    select
        customer_id,
        rm_id,
        contact_id,
        contact_updated_at,
        'cif_exact' as match_method
    from contacts_matched_by_cif
    where contact_rank = 1

)

select * from final
