-- Every CRM contact matched to at most one core-banking customer. Rules are
-- tried in order and the first that yields exactly one candidate customer
-- wins (the order is in the identity_match_rules seed):
--   1 cif_exact    the typed CIF is an existing customer_id and at least one
--                  other attribute agrees (national ID, name, phone, e-mail)
--   2 national_id  normalized national ID / registration number
--   3 name_phone   normalized name and phone
--   4 name_email   normalized name and e-mail
-- A rule with two or more candidates matches nothing. A contact is a
-- conflict when no rule matched and some rule was ambiguous, or when its CIF
-- names an existing customer other than the one it was matched to.
with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

customer_identities as (

    select * from {{ ref('int_customer_identities_normalized') }}

),

company_name_suffixes as (

    select * from {{ ref('company_name_suffixes') }}

),

match_rules as (

    select * from {{ ref('identity_match_rules') }}
    where source_system = 'crm'

),

contact_attributes_normalized as (

    select
        contact_id,
        claimed_customer_id,
        {{ identity_cif_key('claimed_customer_id') }} as claimed_customer_key,
        {{ identity_national_id_key('national_id') }} as national_id_key,
        {{ identity_phone_key('phone') }} as phone_key,
        {{ identity_email_key('email') }} as email_key,
        {{ identity_normalized_text('full_name') }} as normalized_name
    from contacts

),

{{ identity_name_keys(
    'contact_attributes_normalized', ['contact_id'], 'company_name_suffixes',
    'contact_name_keys'
) }},

-- Hashed like the stored customer keys (int_customer_identities_normalized),
-- so each rule compares hashes of normalized values.
contacts_keyed as (

    select
        contact_attributes_normalized.contact_id,
        contact_attributes_normalized.claimed_customer_id,
        contact_attributes_normalized.claimed_customer_key,
        {{ identity_hash('contact_attributes_normalized.national_id_key') }} as national_id_key,
        {{ identity_hash('contact_attributes_normalized.phone_key') }} as phone_key,
        {{ identity_hash('contact_attributes_normalized.email_key') }} as email_key,
        {{ identity_hash('contact_name_keys.name_key') }} as name_key,
        {{ identity_hash('contact_name_keys.name_token_key') }} as name_token_key
    from contact_attributes_normalized
    inner join contact_name_keys
        on contact_attributes_normalized.contact_id = contact_name_keys.contact_id

),

cif_candidates as (

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'cif_exact' as match_rule
    from contacts_keyed
    inner join customer_identities
        on contacts_keyed.claimed_customer_key = customer_identities.customer_id
    where
        contacts_keyed.national_id_key = customer_identities.national_id_key
        or contacts_keyed.name_key = customer_identities.name_key
        or contacts_keyed.name_token_key = customer_identities.name_token_key
        or contacts_keyed.phone_key = customer_identities.phone_key
        or contacts_keyed.email_key = customer_identities.email_key

),

national_id_candidates as (

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'national_id' as match_rule
    from contacts_keyed
    inner join customer_identities
        on contacts_keyed.national_id_key = customer_identities.national_id_key

),

-- Name rules: one equality join per name key rather than an `or` join (a
-- pair found by both keys counts once: candidates are counted distinct).
name_phone_candidates as (

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'name_phone' as match_rule
    from contacts_keyed
    inner join customer_identities
        on
            contacts_keyed.phone_key = customer_identities.phone_key
            and contacts_keyed.name_key = customer_identities.name_key

    union all

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'name_phone' as match_rule
    from contacts_keyed
    inner join customer_identities
        on
            contacts_keyed.phone_key = customer_identities.phone_key
            and contacts_keyed.name_token_key = customer_identities.name_token_key

),

name_email_candidates as (

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'name_email' as match_rule
    from contacts_keyed
    inner join customer_identities
        on
            contacts_keyed.email_key = customer_identities.email_key
            and contacts_keyed.name_key = customer_identities.name_key

    union all

    select
        contacts_keyed.contact_id,
        customer_identities.customer_id,
        'name_email' as match_rule
    from contacts_keyed
    inner join customer_identities
        on
            contacts_keyed.email_key = customer_identities.email_key
            and contacts_keyed.name_token_key = customer_identities.name_token_key

),

candidates_unioned as (

    select * from cif_candidates
    union all
    select * from national_id_candidates
    union all
    select * from name_phone_candidates
    union all
    select * from name_email_candidates

),

-- Ranks each contact's candidates by rule and picks one (macros/identity/).
{{ identity_match_picked(
    'contacts_keyed', 'contact_id', ['contact_id', 'claimed_customer_id', 'claimed_customer_key'],
    'candidates_unioned', 'match_rules', 'contacts_matched'
) }},

contacts_classified as (

    select
        contacts_matched.contact_id,
        contacts_matched.claimed_customer_id,
        contacts_matched.customer_id,
        contacts_matched.match_rule,
        contacts_matched.ambiguous_rules,
        case
            when contacts_matched.claimed_customer_key is null then 'absent'
            when claimed_customers.customer_id is null then 'unknown_customer'
            when contacts_matched.customer_id is null then 'unverified'
            when claimed_customers.customer_id = contacts_matched.customer_id then 'confirmed'
            else 'contradicted'
        end as claimed_customer_status,
        case
            when contacts_matched.is_ambiguous then 'ambiguous'
            when claimed_customers.customer_id != contacts_matched.customer_id
                then 'cif_points_elsewhere'
        end as conflict_reason
    from contacts_matched
    left join customer_identities as claimed_customers
        on contacts_matched.claimed_customer_key = claimed_customers.customer_id

),

final as (

    select
        contact_id,
        customer_id,
        match_rule,
        conflict_reason is not null as is_conflict,
        conflict_reason,
        ambiguous_rules,
        claimed_customer_id,
        claimed_customer_status,
        case
            when customer_id is not null
                then count(*) over (partition by customer_id)
        end as contacts_of_customer
    from contacts_classified

)

select * from final
{{ unless_closed_months_changed() }}
