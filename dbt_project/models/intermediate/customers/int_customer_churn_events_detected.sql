-- Churn events (客户流失) under the two definitions of the churn vars
-- (dbt_project.yml). A customer can churn more than once: an event ends when
-- the customer comes back (reactivated_date).
--   all_accounts_closed: from the day the customer's last open account
--     closed until an account is opened again (gaps in account coverage).
--   dormancy: no transaction and a month-end balance below
--     churn_dormancy_balance_floor for churn_dormancy_days days. Evidence of
--     life is a transaction day or a month end at or above the floor; a quiet
--     spell is a gap between two pieces of evidence (or from the last one to
--     the last reporting day). Observation starts at the first reporting month
--     (or onboarding, if later), so a customer quiet since before the
--     warehouse's history churns churn_dormancy_days after its start.
--     A dormancy that would reach its churn date on or after the customer
--     closed all accounts is not reported: the closure is the event.
with

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

balances as (

    select * from {{ ref('stg_core_banking__balances') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

reporting_bounds as (

    select
        min(month) as first_reporting_date,
        max(month_end_date) as last_reporting_date
    from reporting_months

),

accounts_with_coverage_before as (

    select
        customer_id,
        opened_date,
        closed_date,
        max(coalesce(closed_date, date '9999-12-31')) over (
            partition by customer_id
            order by opened_date, account_id
            rows between unbounded preceding and 1 preceding
        ) as covered_until_before
    from accounts

),

closures_reopened as (

    select
        customer_id,
        covered_until_before as churn_date,
        min(opened_date) as reactivated_date
    from accounts_with_coverage_before
    where opened_date > covered_until_before
    group by customer_id, covered_until_before

),

closures_final as (

    select
        customer_id,
        max(closed_date) as churn_date,
        cast(null as date) as reactivated_date
    from accounts
    group by customer_id
    having bool_and(closed_date is not null)

),

closure_events as (

    select * from closures_reopened
    union all
    select * from closures_final

),

month_end_balances as (

    select
        accounts.customer_id,
        balances.balance_date,
        sum(abs(balances.month_end_balance)) as month_end_balance
    from balances
    inner join accounts on balances.account_id = accounts.account_id
    group by accounts.customer_id, balances.balance_date

),

transaction_days as (

    select
        transactions.customer_id,
        cast(transactions.posted_at as date) as transaction_date
    from transactions
    cross join reporting_bounds
    where cast(transactions.posted_at as date) <= reporting_bounds.last_reporting_date

),

transaction_days_bucketed as (

    select
        customer_id,
        transaction_date,
        floor(
            ({{ days_between('transaction_date', "date '1970-01-01'") }})
            / cast({{ var('churn_dormancy_days') }} as numeric)
        ) as dormancy_bucket
    from transaction_days

),

-- Only the first and last transaction day of each customer and run of
-- churn_dormancy_days days (a bucket) can bound a quiet spell: a day with a
-- later one in its bucket is followed within fewer than churn_dormancy_days
-- days, and a day with an earlier one is preceded as closely, so dropping
-- the days in between leaves the spells unchanged. On a bank-size build this
-- turns about 16M customer-days into a few hundred thousand rows.
transaction_days_bounding_buckets as (

    select
        customer_id,
        min(transaction_date) as first_transaction_date,
        max(transaction_date) as last_transaction_date
    from transaction_days_bucketed
    group by customer_id, dormancy_bucket

),

evidence_days as (

    select
        customer_id,
        first_transaction_date as evidence_date
    from transaction_days_bounding_buckets

    union

    select
        customer_id,
        last_transaction_date as evidence_date
    from transaction_days_bounding_buckets

    union

    select
        customer_id,
        balance_date as evidence_date
    from month_end_balances
    where month_end_balance >= {{ var('churn_dormancy_balance_floor') }}

    union

    select
        customers.customer_id,
        greatest(customers.onboarded_date, reporting_bounds.first_reporting_date)
            as evidence_date
    from customers
    cross join reporting_bounds
    where customers.onboarded_date <= reporting_bounds.last_reporting_date

),

evidence_gaps as (

    select
        evidence_days.customer_id,
        evidence_days.evidence_date as last_evidence_date,
        lead(evidence_days.evidence_date) over (
            partition by evidence_days.customer_id
            order by evidence_days.evidence_date
        ) as next_evidence_date,
        reporting_bounds.last_reporting_date
    from evidence_days
    cross join reporting_bounds
    where evidence_days.evidence_date <= reporting_bounds.last_reporting_date

),

dormancy_spells as (

    select
        customer_id,
        cast(last_evidence_date + 1 as date) as quiet_since_date,
        cast(last_evidence_date + {{ var('churn_dormancy_days') }} as date) as churn_date,
        case
            when next_evidence_date <= last_reporting_date then next_evidence_date
        end as reactivated_date
    from evidence_gaps
    where
        {{ days_between(
            'coalesce(next_evidence_date, last_reporting_date + 1)', 'last_evidence_date'
        ) }}
        > {{ var('churn_dormancy_days') }}

),

dormancy_events as (

    select
        dormancy_spells.customer_id,
        dormancy_spells.churn_date,
        dormancy_spells.reactivated_date
    from dormancy_spells
    where not exists (
            select 1
            from closure_events
            where
                closure_events.customer_id = dormancy_spells.customer_id
                and closure_events.churn_date <= dormancy_spells.churn_date
                and (
                    closure_events.reactivated_date is null
                    or closure_events.reactivated_date > dormancy_spells.churn_date
                )
        )

),

final as (

    select
        customer_id,
        'all_accounts_closed' as churn_definition,
        churn_date,
        reactivated_date
    from closure_events

    union all

    select
        customer_id,
        'dormancy' as churn_definition,
        churn_date,
        reactivated_date
    from dormancy_events

)

select * from final
{{ unless_closed_months_changed() }}
