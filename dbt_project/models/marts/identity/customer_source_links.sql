-- The link table of the golden customer record: every CRM contact and every
-- ERP billing account, with the core-banking customer it belongs to (null
-- when unmatched), the rule that matched it and whether it is a conflict.
with

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

billing_accounts_matched as (

    select * from {{ ref('int_billing_accounts_matched') }}

),

crm_links as (

    select
        'crm' as source_system,
        contact_id as source_record_id,
        customer_id,
        match_rule,
        is_conflict,
        conflict_reason
    from crm_contacts_matched

),

erp_links as (

    select
        'erp' as source_system,
        billing_account_id as source_record_id,
        customer_id,
        match_rule,
        is_conflict,
        conflict_reason
    from billing_accounts_matched

),

links_unioned as (

    select * from crm_links
    union all
    select * from erp_links

),

final as (

    select
        source_system,
        source_record_id,
        customer_id,
        match_rule,
        is_conflict,
        conflict_reason,
        case
            when is_conflict then 'conflict'
            when customer_id is not null then 'matched'
            else 'unmatched'
        end as outcome,
        case
            when customer_id is not null
                then count(*) over (partition by source_system, customer_id) > 1
            else false
        end as is_duplicate
    from links_unioned

)

select * from final
{{ unless_closed_months_changed() }}
