-- One row per customer (the current dim_customer version): identity,
-- relationship manager, holdings by product family, balances at the latest
-- month end (CNY), channel mix, last transaction and interaction, latest
-- satisfaction score, campaign offers accepted in the last 12 months, latest
-- tier and contribution, and lifecycle flags.
{%- set product_families = ['current_deposit', 'term_deposit', 'loan', 'card', 'wealth'] %}
{%- set channels = ['branch', 'atm', 'online', 'mobile'] %}
with

customers as (

    select * from {{ ref('dim_customer') }}
    where is_current

),

accounts as (

    select * from {{ ref('dim_account') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

account_balances as (

    select * from {{ ref('fct_account_balance_monthly') }}

),

transactions as (

    select * from {{ ref('fct_transactions') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

relationship_managers as (

    select * from {{ ref('dim_relationship_manager') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

channel_mix as (

    select * from {{ ref('int_customer_channel_mix_summarised') }}

),

surveys as (

    select * from {{ ref('stg_crm__surveys') }}

),

campaign_responses_by_customer as (

    select * from {{ ref('int_customer_campaign_responses_summarised') }}

),

crm_contacts_matched as (

    select * from {{ ref('int_crm_contacts_matched') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

lifecycle_windows as (

    select * from {{ ref('customer_lifecycle_windows') }}

),

holdings_by_customer as (

    select
        customer_id,
        {%- for family in product_families %}
        count(*) filter (where product_family = '{{ family }}') as {{ family }}_account_count,
        {%- endfor %}
        {%- for family in product_families %}
        bool_or(product_family = '{{ family }}') as has_{{ family }},
        {%- endfor %}
        count(distinct product_code) as product_count,
        count(*) as open_account_count
    from accounts
    where is_open
    group by customer_id

),

latest_balance_date as (

    select max(balance_date) as balance_date
    from account_balances

),

latest_balances_by_customer as (

    select
        account_balances.customer_id,
        sum(account_balances.month_end_balance) filter (
            where products.is_deposit
        ) as deposit_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'loan'
        ) as loan_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'card'
        ) as card_balance,
        sum(account_balances.month_end_balance) filter (
            where account_balances.product_family = 'wealth'
        ) as wealth_balance_aum
    from account_balances
    inner join latest_balance_date
        on account_balances.balance_date = latest_balance_date.balance_date
    inner join products
        on account_balances.product_code = products.product_code
    group by account_balances.customer_id

),

last_transactions_by_customer as (

    select
        customer_id,
        max(posted_at) as last_transaction_at
    from transactions
    group by customer_id

),

interactions_ranked as (

    select
        customer_id,
        occurred_at,
        interaction_type,
        row_number() over (
            partition by customer_id
            order by occurred_at desc, interaction_id desc
        ) as recency_rank
    from interactions
    where customer_id is not null

),

last_interactions_by_customer as (

    select * from interactions_ranked
    where recency_rank = 1

),

surveys_ranked as (

    select
        crm_contacts_matched.customer_id,
        surveys.satisfaction_score,
        surveys.responded_at,
        row_number() over (
            partition by crm_contacts_matched.customer_id
            order by surveys.responded_at desc, surveys.survey_id desc
        ) as recency_rank
    from surveys
    inner join crm_contacts_matched
        on surveys.contact_id = crm_contacts_matched.contact_id
    where crm_contacts_matched.customer_id is not null

),

latest_surveys_by_customer as (

    select * from surveys_ranked
    where recency_rank = 1

),

open_opportunities_by_customer as (

    select
        customer_id,
        count(*) as open_opportunity_count
    from opportunities
    where
        is_open
        and customer_id is not null
    group by customer_id

),

customer_tiers_ranked as (

    select
        customer_id,
        month,
        tier,
        tier_reason,
        contribution_l12m,
        row_number() over (partition by customer_id order by month desc) as recency_rank
    from customer_tiers

),

latest_customer_tiers as (

    select * from customer_tiers_ranked
    where recency_rank = 1

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
        cast(coalesce(latest_balances_by_customer.deposit_balance, 0) as numeric(18, 2))
            as deposit_balance,
        cast(coalesce(latest_balances_by_customer.loan_balance, 0) as numeric(18, 2))
            as loan_balance,
        cast(coalesce(latest_balances_by_customer.card_balance, 0) as numeric(18, 2))
            as card_balance,
        cast(coalesce(latest_balances_by_customer.wealth_balance_aum, 0) as numeric(18, 2))
            as wealth_balance_aum,
        last_transactions_by_customer.last_transaction_at,
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
        cast(
            coalesce(latest_balances_by_customer.deposit_balance, 0)
            + coalesce(latest_balances_by_customer.wealth_balance_aum, 0)
            as numeric(18, 2)
        ) as total_aum,
        coalesce(channel_mix.transaction_count, 0) as channel_mix_transaction_count,
        {%- for channel in channels %}
        channel_mix.channel_share_{{ channel }},
        {%- endfor %}
        last_interactions_by_customer.occurred_at as last_interaction_at,
        last_interactions_by_customer.interaction_type as last_interaction_type,
        latest_surveys_by_customer.satisfaction_score as latest_satisfaction_score,
        cast(latest_surveys_by_customer.responded_at at time zone 'UTC' as date)
            as latest_satisfaction_date,
        coalesce(open_opportunities_by_customer.open_opportunity_count, 0)
            as open_opportunity_count,
        coalesce(campaign_responses_by_customer.campaign_acceptances_l12m, 0)
            as campaign_acceptances_l12m,
        customers.onboarded_date >= latest_reporting_month.new_customer_since_date as is_new,
        customers.status = 'dormant' as is_dormant,
        not customers.is_active as is_closed,
        open_opportunities_by_customer.open_opportunity_count is not null
            as has_open_opportunity
    from customers
    cross join latest_balance_date
    cross join latest_reporting_month
    left join relationship_managers
        on customers.rm_id = relationship_managers.rm_id
    left join holdings_by_customer
        on customers.customer_id = holdings_by_customer.customer_id
    left join latest_balances_by_customer
        on customers.customer_id = latest_balances_by_customer.customer_id
    left join last_transactions_by_customer
        on customers.customer_id = last_transactions_by_customer.customer_id
    left join channel_mix
        on customers.customer_id = channel_mix.customer_id
    left join last_interactions_by_customer
        on customers.customer_id = last_interactions_by_customer.customer_id
    left join latest_surveys_by_customer
        on customers.customer_id = latest_surveys_by_customer.customer_id
    left join open_opportunities_by_customer
        on customers.customer_id = open_opportunities_by_customer.customer_id
    left join latest_customer_tiers
        on customers.customer_id = latest_customer_tiers.customer_id
    left join campaign_responses_by_customer
        on customers.customer_id = campaign_responses_by_customer.customer_id

)

select * from final
