-- Grain: one row per loan and month-end snapshot (loan_id, month). The
-- days-past-due bucket comes from the seed days_past_due_buckets.
with

loans as (

    select * from {{ ref('stg_core_banking__loans') }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

days_past_due_buckets as (

    select * from {{ ref('days_past_due_buckets') }}

),

loans_joined_to_accounts as (

    select
        loans.loan_id,
        cast(date_trunc('month', loans.snapshot_date) as date) as month,
        loans.snapshot_date,
        loans.customer_id,
        accounts.product_code,
        accounts.branch_id,
        cast(loans.principal_amount as numeric(18, 2)) as principal_amount,
        cast(loans.outstanding_balance as numeric(18, 2)) as exposure,
        loans.interest_rate,
        loans.term_months,
        loans.risk_rating,
        loans.probability_of_default,
        loans.loss_given_default,
        loans.days_past_due
    from loans
    left join accounts
        on loans.loan_id = accounts.account_id

),

loans_bucketed as (

    select
        loans_joined_to_accounts.*,
        days_past_due_buckets.dpd_bucket
    from loans_joined_to_accounts
    left join days_past_due_buckets
        on
            loans_joined_to_accounts.days_past_due >= days_past_due_buckets.min_days_past_due
            and (
                days_past_due_buckets.max_days_past_due is null
                or loans_joined_to_accounts.days_past_due
                <= days_past_due_buckets.max_days_past_due
            )

),

final as (

    select * from loans_bucketed

)

select * from final
