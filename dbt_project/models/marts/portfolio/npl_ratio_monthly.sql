-- Non-performing-loan ratio (不良贷款率) by month: outstanding balance of the
-- loans at or above the contribution_default_min_days_past_due var (90) days
-- past due over the outstanding balance of all loans, from the month-end
-- snapshots of fct_loan_monthly. The 90-day line is the one at which the
-- contribution mart treats a loan as in default, so both read the same loans
-- as non-performing.
--
-- A separate model rather than more columns on credit_quality_monthly: that
-- view's grain is month x rating band x days-past-due bucket, this one's is
-- a month's total and its splits by segment and by tier, which would not fit
-- its rows.
--
-- One grouping-sets query gives three breakdowns, named in `breakdown`:
--   total    one row per month (segment and tier null)
--   segment  one row per month and core-banking segment of the borrower
--   tier     one row per month and the borrower's tier of the month
--            (customer_tier_monthly)
-- Within the segment and tier breakdowns a null segment or tier is a real
-- group: borrowers without one (no tier row in that month).
with

loans as (

    select * from {{ ref('fct_loan_monthly') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

loans_classified as (

    select
        loans.loan_id,
        loans.month,
        customers.segment,
        customer_tiers.tier,
        loans.exposure,
        loans.days_past_due
        >= {{ var('contribution_default_min_days_past_due') }} as is_non_performing
    from loans
    left join customers
        on loans.customer_id = customers.customer_id
    left join customer_tiers
        on
            loans.customer_id = customer_tiers.customer_id
            and loans.month = customer_tiers.month

),

loans_grouped as (

    select
        month,
        segment,
        tier,
        case
            when grouping(segment) = 0 then 'segment'
            when grouping(tier) = 0 then 'tier'
            else 'total'
        end as breakdown,
        count(*) as loans,
        count(*) filter (where is_non_performing) as non_performing_loans,
        sum(exposure) as outstanding_balance,
        coalesce(sum(exposure) filter (where is_non_performing), 0)
            as non_performing_balance
    from loans_classified
    group by grouping sets (
        (month),
        (month, segment),
        (month, tier)
    )

),

final as (

    select
        month,
        breakdown,
        segment,
        tier,
        cast(loans as integer) as loans,
        cast(non_performing_loans as integer) as non_performing_loans,
        cast(outstanding_balance as numeric(18, 2)) as outstanding_balance,
        cast(non_performing_balance as numeric(18, 2)) as non_performing_balance,
        cast(
            round(non_performing_balance / nullif(outstanding_balance, 0), 10)
            as numeric(12, 10)
        ) as npl_ratio
    from loans_grouped

)

select * from final
{{ unless_closed_months_changed() }}
