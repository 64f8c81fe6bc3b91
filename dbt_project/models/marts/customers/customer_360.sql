-- One row per customer (the current dim_customer version): identity,
-- relationship manager, holdings by product family, balances at the latest
-- month end (CNY), channel mix, last transaction and interaction, latest
-- satisfaction score, campaign offers accepted in the last 12 months, latest
-- tier and contribution, and lifecycle flags.
-- The per-customer facts come from intermediate models, each with a row only
-- for the customers it has facts for; here they are joined to every customer
-- and an absent count or balance becomes 0.
{%- set product_families = product_families() %}
{%- set channels = transaction_channels() %}
with

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

relationship_managers as (

    select * from {{ ref('dim_relationship_manager') }}

),

holdings_by_customer as (

    select * from {{ ref('int_customer_holdings_summarised') }}

),

activity_by_customer as (

    select * from {{ ref('int_customer_activity_latest') }}

),

latest_customer_tiers as (

    select * from {{ ref('int_customer_tier_latest') }}

),

channel_mix as (

    select * from {{ ref('int_customer_channel_mix_summarised') }}

),

campaign_responses_by_customer as (

    select * from {{ ref('int_customer_campaign_responses_summarised') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

lifecycle_windows as (

    select * from {{ ref('customer_lifecycle_windows') }}

),

-- Every row of int_customer_holdings_summarised carries the latest month end
-- with balances; customers without holdings show it too.
latest_balance_date as (

    select max(balances_as_of_date) as balance_date
    from holdings_by_customer

),

latest_reporting_month as (

    select
        max(reporting_months.month) as as_of_month,
        cast(
            max(reporting_months.month)
            - (max(lifecycle_windows.new_customer_months) - 1) * interval '1 month'
            as date
        ) as new_customer_since_date
    from reporting_months
    cross join lifecycle_windows

),

final as (

    select
        customers.customer_id,
        customers.customer_type,
        customers.full_name,
        customers.full_name_masked,
        customers.segment,
        customers.industry,
        customers.branch_id,
        customers.region,
        customers.onboarded_date,
        customers.status,
        customers.closed_date,
        customers.credit_rating,
        customers.is_active,
        customers.rm_id,
        relationship_managers.rm_name,
        relationship_managers.team_name as rm_team,
        coalesce(holdings_by_customer.product_count, 0) as product_count,
        coalesce(holdings_by_customer.open_account_count, 0) as open_account_count,
        {%- for family in product_families %}
        coalesce(holdings_by_customer.has_{{ family }}, false) as has_{{ family }},
        {%- endfor %}
        latest_balance_date.balance_date as balances_as_of_date,
        cast(coalesce(holdings_by_customer.deposit_balance, 0) as numeric(18, 2))
            as deposit_balance,
        cast(coalesce(holdings_by_customer.loan_balance, 0) as numeric(18, 2))
            as loan_balance,
        cast(coalesce(holdings_by_customer.card_balance, 0) as numeric(18, 2))
            as card_balance,
        cast(coalesce(holdings_by_customer.wealth_balance_aum, 0) as numeric(18, 2))
            as wealth_balance_aum,
        activity_by_customer.last_transaction_at,
        latest_customer_tiers.tier,
        latest_customer_tiers.tier_reason,
        latest_customer_tiers.month as tier_month,
        latest_customer_tiers.contribution_l12m,
        latest_reporting_month.as_of_month,
        customers.customer_key,
        {%- for family in product_families %}
        coalesce(holdings_by_customer.{{ family }}_account_count, 0)
            as {{ family }}_account_count,
        {%- endfor %}
        cast(coalesce(holdings_by_customer.total_aum, 0) as numeric(18, 2)) as total_aum,
        coalesce(channel_mix.transaction_count, 0) as channel_mix_transaction_count,
        {%- for channel in channels %}
        channel_mix.channel_share_{{ channel }},
        {%- endfor %}
        activity_by_customer.last_interaction_at,
        activity_by_customer.last_interaction_type,
        activity_by_customer.latest_satisfaction_score,
        cast({{ utc_wall_clock('activity_by_customer.latest_survey_responded_at') }} as date)
            as latest_satisfaction_date,
        coalesce(activity_by_customer.open_opportunity_count, 0) as open_opportunity_count,
        coalesce(campaign_responses_by_customer.campaign_acceptances_l12m, 0)
            as campaign_acceptances_l12m,
        customers.onboarded_date >= latest_reporting_month.new_customer_since_date as is_new,
        customers.status = 'dormant' as is_dormant,
        not customers.is_active as is_closed,
        activity_by_customer.open_opportunity_count is not null as has_open_opportunity
    from customers
    cross join latest_balance_date
    cross join latest_reporting_month
    left join relationship_managers
        on customers.rm_id = relationship_managers.rm_id
    left join holdings_by_customer
        on customers.customer_id = holdings_by_customer.customer_id
    left join activity_by_customer
        on customers.customer_id = activity_by_customer.customer_id
    left join channel_mix
        on customers.customer_id = channel_mix.customer_id
    left join latest_customer_tiers
        on customers.customer_id = latest_customer_tiers.customer_id
    left join campaign_responses_by_customer
        on customers.customer_id = campaign_responses_by_customer.customer_id

)

select * from final
