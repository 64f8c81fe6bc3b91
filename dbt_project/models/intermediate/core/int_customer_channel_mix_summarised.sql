-- One row per customer with a transaction in the channel-mix window: the
-- `channel_mix_months` reporting months (seed customer_lifecycle_windows)
-- ending with the latest reporting month. Each channel's share is the
-- customer's transactions through that channel divided by all of the
-- customer's transactions in the window, rounded to 6 decimals.
with

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

lifecycle_windows as (

    select * from {{ ref('customer_lifecycle_windows') }}

),

channel_mix_window as (

    select
        cast(
            max(reporting_months.month)
            - (max(lifecycle_windows.channel_mix_months) - 1) * interval '1 month'
            as date
        ) as window_start_date,
        max(reporting_months.month_end_date) as window_end_date
    from reporting_months
    cross join lifecycle_windows

),

transactions_in_window as (

    select
        transactions.customer_id,
        transactions.channel,
        channel_mix_window.window_start_date,
        channel_mix_window.window_end_date
    from transactions
    inner join channel_mix_window
        on
            cast({{ utc_wall_clock('transactions.posted_at') }} as date)
            between channel_mix_window.window_start_date and channel_mix_window.window_end_date

),

channel_counts_by_customer as (

    select
        customer_id,
        window_start_date,
        window_end_date,
        {%- for channel in transaction_channels() %}
        count(*) filter (where channel = '{{ channel }}') as {{ channel }}_count,
        {%- endfor %}
        count(*) as transaction_count
    from transactions_in_window
    group by
        customer_id,
        window_start_date,
        window_end_date

),

final as (

    select
        customer_id,
        window_start_date,
        window_end_date,
        {%- for channel in transaction_channels() %}
        cast(round(1.0 * {{ channel }}_count / transaction_count, 6) as numeric(9, 6))
            as channel_share_{{ channel }},
        {%- endfor %}
        transaction_count
    from channel_counts_by_customer

)

select * from final
{{ unless_closed_months_changed() }}
