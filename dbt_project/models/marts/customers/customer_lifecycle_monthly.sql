-- Monthly customer lifecycle stage (客户生命周期) with a machine-readable
-- reason and the inputs of the rules. One row per customer active in the
-- month (int_customer_months_active, the population of customer_tier_monthly).
-- Thresholds are dbt vars (dbt_project.yml). The first rule that matches wins:
-- decline > exploration > formation > stability.
-- Comparisons look `lifecycle_compare_months` months back and only fire when
-- the customer was active in that month (which the warehouse then holds).
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch, reading the two comparison windows' months
-- before the first. The grain is a unique index: PostgreSQL refuses a
-- duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['customer_id', 'month'], 'unique': true},
        ]
    )
}}

{%- set compare_months = var('lifecycle_compare_months') | int %}
{%- set scope = month_scope(incremental_lineage()) %}
with

customer_months_active as (

    select * from {{ ref('int_customer_months_active') }}
    where {{ rebuilt_months(scope, 'month', 2 * compare_months) }}

),

accounts as (

    select * from {{ ref('dim_account') }}

),

customer_months_aum as (

    select * from {{ ref('int_customer_months_aum') }}
    where {{ rebuilt_months(scope, 'month', 2 * compare_months) }}

),

transactions as (

    select * from {{ ref('fct_transactions') }}
    where {{ rebuilt_months(scope, 'month', 2 * compare_months) }}

),

-- Accounts open at the month end: opened on or before it and not closed on
-- or before it (dates decide, not the current status).
holdings_by_customer_month as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        count(distinct accounts.product_code) as product_count,
        count(accounts.account_id) as open_account_count
    from customer_months_active
    left join accounts
        on
            customer_months_active.customer_id = accounts.customer_id
            and customer_months_active.month_end_date >= accounts.opened_date
            and (
                accounts.closed_date is null
                or customer_months_active.month_end_date < accounts.closed_date
            )
    group by
        customer_months_active.customer_id,
        customer_months_active.month

),

transactions_by_customer_month as (

    select
        customer_id,
        month,
        count(*) as transaction_count
    from transactions
    group by
        customer_id,
        month

),

-- The month's window is the `lifecycle_compare_months` months ending with
-- it; the previous window is the same number of months just before.
transactions_over_windows as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        coalesce(
            sum(transactions_by_customer_month.transaction_count) filter (
                where transactions_by_customer_month.month = customer_months_active.month
            ),
            0
        ) as transaction_count,
        coalesce(
            sum(transactions_by_customer_month.transaction_count) filter (
                where transactions_by_customer_month.month
                > customer_months_active.month - interval '{{ compare_months }} months'
            ),
            0
        ) as window_transaction_count,
        coalesce(
            sum(transactions_by_customer_month.transaction_count) filter (
                where transactions_by_customer_month.month
                <= customer_months_active.month - interval '{{ compare_months }} months'
            ),
            0
        ) as previous_window_transaction_count
    from customer_months_active
    left join transactions_by_customer_month
        on
            customer_months_active.customer_id = transactions_by_customer_month.customer_id
            and customer_months_active.month >= transactions_by_customer_month.month
            and customer_months_active.month - interval '{{ 2 * compare_months }} months'
            < transactions_by_customer_month.month
    group by
        customer_months_active.customer_id,
        customer_months_active.month

),

customer_month_measures as (

    select
        customer_months_active.customer_id,
        customer_months_active.month,
        customer_months_active.tenure_months,
        holdings_by_customer_month.product_count,
        holdings_by_customer_month.open_account_count,
        cast(coalesce(customer_months_aum.aum, 0) as numeric(18, 2)) as total_balance,
        transactions_over_windows.transaction_count,
        transactions_over_windows.window_transaction_count,
        transactions_over_windows.previous_window_transaction_count
    from customer_months_active
    -- Both have exactly one row per customer month (they group
    -- customer_months_active); left joins keep the planner's row estimate
    -- at the number of customer months.
    left join holdings_by_customer_month
        on
            customer_months_active.customer_id = holdings_by_customer_month.customer_id
            and customer_months_active.month = holdings_by_customer_month.month
    left join transactions_over_windows
        on
            customer_months_active.customer_id = transactions_over_windows.customer_id
            and customer_months_active.month = transactions_over_windows.month
    left join customer_months_aum
        on
            customer_months_active.customer_id = customer_months_aum.customer_id
            and customer_months_active.month = customer_months_aum.month

),

-- comparison: the customer's month `lifecycle_compare_months` back;
-- window_start: the first month of the previous transaction window. A
-- missing row means the customer was not active then (or the warehouse does
-- not hold that month), so that comparison does not fire. Each is a window
-- frame holding exactly that one month of the customer (or nothing).
measures_joined_to_comparison as (

    select
        *,
        max(month) over comparison_month_frame as comparison_month,
        max(product_count) over comparison_month_frame as comparison_product_count,
        cast(
            max(total_balance) over comparison_month_frame as numeric(18, 2)
        ) as comparison_total_balance,
        count(*) over window_start_month_frame > 0 as has_activity_comparison
    from customer_month_measures
    window
        comparison_month_frame as (
            partition by customer_id
            order by month
            range between
            interval '{{ compare_months }} months' preceding
            and interval '{{ compare_months }} months' preceding
        ),
        window_start_month_frame as (
            partition by customer_id
            order by month
            range between
            interval '{{ 2 * compare_months - 1 }} months' preceding
            and interval '{{ 2 * compare_months - 1 }} months' preceding
        )

),

stage_rules_applied as (

    select
        *,
        case
            when
                comparison_total_balance > 0
                and total_balance
                <= comparison_total_balance * (1 - {{ var('lifecycle_decline_min_balance_drop') }})
                then 'decline.balance_drop'
            when product_count < comparison_product_count
                then 'decline.products_drop'
            when
                has_activity_comparison
                and previous_window_transaction_count > 0
                and window_transaction_count
                <= previous_window_transaction_count
                * (1 - {{ var('lifecycle_decline_min_activity_drop') }})
                then 'decline.activity_drop'
            when
                tenure_months < {{ var('lifecycle_exploration_max_tenure_months') }}
                and product_count <= {{ var('lifecycle_exploration_max_products') }}
                then 'exploration.new_few_products'
            when
                comparison_total_balance > 0
                and total_balance
                >= comparison_total_balance
                * (1 + {{ var('lifecycle_formation_min_balance_growth') }})
                then 'formation.balance_growth'
            when product_count > comparison_product_count
                then 'formation.products_growth'
            when tenure_months < {{ var('lifecycle_formation_max_tenure_months') }}
                then 'formation.young_relationship'
            else 'stability.steady'
        end as stage_reason
    from measures_joined_to_comparison

),

final as (

    select
        customer_id,
        month,
        split_part(stage_reason, '.', 1) as stage,
        stage_reason,
        tenure_months,
        cast(product_count as integer) as product_count,
        cast(open_account_count as integer) as open_account_count,
        total_balance,
        cast(transaction_count as integer) as transaction_count,
        cast(window_transaction_count as integer) as window_transaction_count,
        comparison_month,
        cast(comparison_product_count as integer) as comparison_product_count,
        comparison_total_balance,
        cast(
            (total_balance - comparison_total_balance) / nullif(comparison_total_balance, 0)
            as numeric(12, 6)
        ) as balance_change_rate,
        case
            when has_activity_comparison
                then cast(previous_window_transaction_count as integer)
        end as previous_window_transaction_count,
        cast(
            case
                when has_activity_comparison
                    then
                        (window_transaction_count - previous_window_transaction_count)
                        / nullif(cast(previous_window_transaction_count as numeric), 0)
            end
            as numeric(12, 6)
        ) as transaction_change_rate
    from stage_rules_applied

)

select * from final
where {{ rebuilt_months(scope) }}
