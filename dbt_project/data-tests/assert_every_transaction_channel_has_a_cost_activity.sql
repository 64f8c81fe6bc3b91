-- Every transaction channel must be priced by a `transaction` activity of the
-- seed cost_to_serve_activities; otherwise its transactions would silently
-- cost nothing in cost to serve. Returns the unpriced channels.
with

transactions as (

    select * from {{ ref('stg_core_banking__transactions') }}

),

cost_to_serve_activities as (

    select * from {{ ref('cost_to_serve_activities') }}

),

transaction_channels as (

    select
        channel,
        count(*) as transaction_count
    from transactions
    group by channel

),

final as (

    select transaction_channels.*
    from transaction_channels
    left join cost_to_serve_activities
        on
            transaction_channels.channel = cost_to_serve_activities.transaction_channel
            and cost_to_serve_activities.cost_driver = 'transaction'
    where cost_to_serve_activities.activity is null

)

select * from final
