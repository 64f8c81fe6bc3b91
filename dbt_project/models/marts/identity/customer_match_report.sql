-- Match quality of the golden customer record for this build: per source
-- system, outcome and rule, how many source records there are and their
-- share of the source. Outcomes are exclusive (conflict, else matched, else
-- unmatched), so a source's records add up to its row count in
-- customer_source_links. Every rule of the identity_match_rules seed gets a
-- `matched` row, and every source an `unmatched` and a `conflict` row
-- without a rule, even when their count is zero.
with

source_links as (

    select * from {{ ref('customer_source_links') }}

),

match_rules as (

    select * from {{ ref('identity_match_rules') }}

),

crm_contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

-- Batch ids are `<system>.<table>.<logical date YYYYMMDD>.<start time>`.
source_logical_dates as (

    select
        'crm' as source_system,
        max({{ parse_date("split_part(batch_id, '.', 3)", 'YYYYMMDD') }}) as logical_date
    from crm_contacts
    union all
    select
        'erp' as source_system,
        max({{ parse_date("split_part(batch_id, '.', 3)", 'YYYYMMDD') }}) as logical_date
    from invoices

),

-- The report's date comes from the data, not the clock, so that a rebuild of
-- the same batches publishes the same rows on any day and any engine.
matched_as_of as (

    select max(logical_date) as matched_on
    from source_logical_dates

),

outcome_spine as (

    select
        source_system,
        'matched' as outcome,
        match_rule
    from match_rules
    union
    select distinct
        match_rules.source_system,
        outcome_without_rule.outcome,
        cast(null as {{ type_text() }}) as match_rule
    from match_rules
    cross join (values ('unmatched'), ('conflict')) as outcome_without_rule (outcome)

),

link_counts as (

    select
        source_system,
        outcome,
        match_rule,
        count(*) as records,
        count(*) filter (where is_duplicate) as duplicate_records
    from source_links
    group by
        source_system,
        outcome,
        match_rule

),

source_totals as (

    select
        source_system,
        count(*) as source_records
    from source_links
    group by source_system

),

outcomes_counted as (

    select
        coalesce(outcome_spine.source_system, link_counts.source_system) as source_system,
        coalesce(outcome_spine.outcome, link_counts.outcome) as outcome,
        coalesce(outcome_spine.match_rule, link_counts.match_rule) as match_rule,
        coalesce(link_counts.records, 0) as records,
        coalesce(link_counts.duplicate_records, 0) as duplicate_records
    from outcome_spine
    full outer join link_counts
        on
            outcome_spine.source_system = link_counts.source_system
            and outcome_spine.outcome = link_counts.outcome
            and outcome_spine.match_rule is not distinct from link_counts.match_rule

),

final as (

    select
        matched_as_of.matched_on,
        source_logical_dates.logical_date,
        outcomes_counted.source_system,
        outcomes_counted.outcome,
        outcomes_counted.match_rule,
        outcomes_counted.records,
        outcomes_counted.duplicate_records,
        coalesce(source_totals.source_records, 0) as source_records,
        cast(
            outcomes_counted.records / nullif(cast(source_totals.source_records as numeric), 0)
            as numeric(7, 4)
        ) as share_of_source
    from outcomes_counted
    left join source_totals
        on outcomes_counted.source_system = source_totals.source_system
    left join source_logical_dates
        on outcomes_counted.source_system = source_logical_dates.source_system
    cross join matched_as_of

)

select * from final
{{ unless_closed_months_changed() }}
