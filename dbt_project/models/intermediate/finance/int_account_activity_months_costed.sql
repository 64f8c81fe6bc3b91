-- One row per account, month and cost-to-serve activity: how many units of
-- the activity the account used and what they cost in CNY at the ERP unit
-- cost of the month's accounting period (YYYY-MM). The activities and their
-- drivers are the seed cost_to_serve_activities:
--   transaction         one unit per transaction posted in the month (UTC)
--                       through the activity's channel;
--   open_account_month  one unit per account open on at least one day of the
--                       month (int_account_months_open: the month an account
--                       closes counts, later months do not).
-- activity_cost = activity_count x unit_cost is exact to the cent.
-- Only reporting months are costed: transactions of a month that has not
-- closed yet (no month-end balances, no ERP unit costs) wait for its close.
-- A month table (macros/incremental/month_scope.sql): a build rebuilds the
-- months its new batches touch. The grain is a unique index: PostgreSQL
-- refuses a duplicate, of a full build or of an increment.
{{
    config(
        indexes=[
            {'columns': ['account_id', 'month', 'activity'], 'unique': true},
        ]
    )
}}

{%- set scope = month_scope(incremental_lineage()) %}

with

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}
    where {{ rebuilt_months(scope, utc_wall_clock('posted_at')) }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}
    where {{ rebuilt_months(scope) }}

),

account_months_open as (

    select * from {{ ref('int_account_months_open') }}
    where {{ rebuilt_months(scope) }}

),

accounts as (

    select * from {{ ref('stg_core_banking__accounts') }}

),

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

unit_costs as (

    select * from {{ ref('stg_erp__unit_costs') }}

),

cost_to_serve_activities as (

    select * from {{ ref('cost_to_serve_activities') }}

),

transactions_to_months as (

    select
        account_id,
        customer_id,
        cast(date_trunc('month', {{ utc_wall_clock('posted_at') }}) as date) as month,
        channel
    from transactions

),

transactions_counted_by_channel as (

    -- Counted per account, month and channel before any join: the 23M
    -- transactions of a bank-size build shrink to a few million rows here,
    -- and the joins below see row counts the planner can estimate (joined
    -- first, the month expression hid them and the grouping became a sort
    -- spilled to disk).
    select
        account_id,
        customer_id,
        month,
        channel,
        count(*) as transaction_count
    from transactions_to_months
    group by account_id, customer_id, month, channel

),

transaction_activities_counted as (

    -- No second grouping: activity is unique in the seed, so each activity
    -- has one transaction channel and each count row gives one activity row.
    select
        transactions_counted_by_channel.account_id,
        transactions_counted_by_channel.customer_id,
        transactions_counted_by_channel.month,
        cost_to_serve_activities.activity,
        transactions_counted_by_channel.transaction_count as activity_count
    from transactions_counted_by_channel
    inner join reporting_months
        on transactions_counted_by_channel.month = reporting_months.month
    inner join cost_to_serve_activities
        on
            transactions_counted_by_channel.channel
            = cost_to_serve_activities.transaction_channel
            and cost_to_serve_activities.cost_driver = 'transaction'

),

open_account_month_activities_counted as (

    select
        account_months_open.account_id,
        account_months_open.customer_id,
        account_months_open.month,
        cost_to_serve_activities.activity,
        1 as activity_count
    from account_months_open
    inner join cost_to_serve_activities
        on cost_to_serve_activities.cost_driver = 'open_account_month'

),

activities_unioned as (

    select * from transaction_activities_counted

    union all

    select * from open_account_month_activities_counted

),

activities_joined_to_unit_costs as (

    select
        activities_unioned.account_id,
        activities_unioned.customer_id,
        products.product_family,
        activities_unioned.month,
        activities_unioned.activity,
        cast(activities_unioned.activity_count as integer) as activity_count,
        unit_costs.unit_cost,
        cast(
            activities_unioned.activity_count * unit_costs.unit_cost as numeric(18, 2)
        ) as activity_cost
    from activities_unioned
    left join unit_costs
        on
            activities_unioned.activity = unit_costs.activity
            and {{ format_date(
                'activities_unioned.month', 'YYYY-MM'
            ) }} = unit_costs.accounting_period
    left join accounts
        on activities_unioned.account_id = accounts.account_id
    left join products
        on accounts.product_code = products.product_code

),

final as (

    select * from activities_joined_to_unit_costs

)

select * from final
