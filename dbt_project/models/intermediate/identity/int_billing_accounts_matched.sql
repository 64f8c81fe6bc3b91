-- One row per ERP billing account, matched to at most one core-banking
-- customer. ERP does not know the CIF; its invoices carry the billing name
-- and, usually, the registration number, both as typed on each invoice.
-- Rules in order (identity_match_rules seed), first unique candidate wins:
--   1 registration_number  a normalized registration number of the account's
--                          invoices equals the customer's national_id
--   2 name                 a normalized billing name of the account's invoices
--                          equals the customer's normalized name
-- A rule with two or more candidate customers matches nothing; the account
-- is then a conflict unless a later rule matches it.
with

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

customer_identities as (

    select * from {{ ref('int_customer_identities_normalized') }}

),

company_name_suffixes as (

    select * from {{ ref('company_name_suffixes') }}

),

match_rules as (

    select * from {{ ref('identity_match_rules') }}
    where source_system = 'erp'

),

billing_accounts as (

    select
        billing_account_id,
        count(*) as invoices,
        max(issued_date) as last_issued_date
    from invoices
    group by billing_account_id

),

-- Keys are hashed like the stored customer keys
-- (int_customer_identities_normalized), so each rule compares hashes of
-- normalized values.
registration_numbers_by_account as (

    select distinct
        billing_account_id,
        {{ identity_hash(identity_national_id_key('registration_number')) }}
            as registration_number_key
    from invoices
    where {{ identity_national_id_key('registration_number') }} is not null

),

billing_names_normalized as (

    select distinct
        billing_account_id,
        {{ identity_normalized_text('billing_name') }} as normalized_name
    from invoices
    where {{ identity_normalized_text('billing_name') }} is not null

),

{{ identity_name_keys(
    'billing_names_normalized', ['billing_account_id', 'normalized_name'],
    'company_name_suffixes', 'billing_name_keys'
) }},

billing_name_keys_hashed as (

    select
        billing_account_id,
        {{ identity_hash('name_key') }} as name_key,
        {{ identity_hash('name_token_key') }} as name_token_key
    from billing_name_keys

),

registration_number_candidates as (

    select distinct
        registration_numbers_by_account.billing_account_id,
        customer_identities.customer_id,
        'registration_number' as match_rule
    from registration_numbers_by_account
    inner join customer_identities
        on
            registration_numbers_by_account.registration_number_key
            = customer_identities.national_id_key

),

-- Either name key may agree: one equality join per key rather than an `or`
-- join, which would compare every account with every customer. `union`
-- removes the pairs both keys find.
name_candidates as (

    select
        billing_name_keys_hashed.billing_account_id,
        customer_identities.customer_id,
        'name' as match_rule
    from billing_name_keys_hashed
    inner join customer_identities
        on billing_name_keys_hashed.name_key = customer_identities.name_key

    union

    select
        billing_name_keys_hashed.billing_account_id,
        customer_identities.customer_id,
        'name' as match_rule
    from billing_name_keys_hashed
    inner join customer_identities
        on billing_name_keys_hashed.name_token_key = customer_identities.name_token_key

),

candidates_unioned as (

    select * from registration_number_candidates
    union all
    select * from name_candidates

),

-- Ranks each account's candidates by rule and picks one (macros/identity/).
{{ identity_match_picked(
    'billing_accounts', 'billing_account_id',
    ['billing_account_id', 'invoices', 'last_issued_date'],
    'candidates_unioned', 'match_rules', 'accounts_matched'
) }},

final as (

    select
        billing_account_id,
        customer_id,
        match_rule,
        is_ambiguous as is_conflict,
        case
            when is_ambiguous then 'ambiguous'
        end as conflict_reason,
        ambiguous_rules,
        invoices,
        last_issued_date,
        case
            when customer_id is not null
                then count(*) over (partition by customer_id)
        end as billing_accounts_of_customer
    from accounts_matched

)

select * from final
{{ unless_closed_months_changed() }}
