-- Churn events (客户流失) with the definition that fired and the customer's
-- segment and tier when it churned. Definitions and thresholds: vars
-- churn_dormancy_balance_floor and churn_dormancy_days (dbt_project.yml).
with

churn_events as (

    select * from {{ ref('int_customer_churn_events_detected') }}

),

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

final as (

    select
        churn_events.customer_id,
        churn_events.churn_definition,
        churn_events.churn_date,
        cast(date_trunc('month', churn_events.churn_date) as date) as churn_month,
        churn_events.reactivated_date,
        churn_events.reactivated_date is not null as is_reactivated,
        customers.customer_type,
        customers.segment,
        customer_tiers.tier as tier_at_churn,
        customer_tiers.contribution_l12m as contribution_l12m_at_churn
    from churn_events
    inner join customers on churn_events.customer_id = customers.customer_id
    left join customer_tiers
        on
            churn_events.customer_id = customer_tiers.customer_id
            and date_trunc('month', churn_events.churn_date) = customer_tiers.month

)

select * from final
{{ unless_closed_months_changed() }}
