-- Acquisition cost and payback (获客成本) per onboarding cohort: the customers
-- onboarded in a reporting month, by customer type and segment.
--   acquisition_cost_per_customer  the month's general-ledger postings on the
--        accounts of the acquisition_cost_gl_accounts var (marketing campaigns
--        and customer onboarding) split equally over every customer onboarded
--        that month: campaigns and onboarding are budgeted for the month's
--        intake as a whole, not per customer
--   months_to_payback  months after the onboarding month until the cohort's
--        cumulative net contribution (EVA, customer_contribution_monthly)
--        covers its acquisition cost; 0 when the onboarding month alone pays it
--        back, null while it has not
--   retention_cost_per_customer_year  what keeping a customer costs: the
--        relationship-manager cost of the segment's customers onboarded
--        before the month, over the 12 reporting months ending with it, per
--        customer-year of those customers
--   acquisition_to_retention_cost_ratio  acquisition cost per new customer
--        over that yearly retention cost (management's rule of thumb: about 5)
-- A month's acquisition cost with no customer onboarded in it stays with no
-- cohort; a cohort whose month has no such postings has a null cost.
with

customers as (

    select * from {{ ref('stg_core_banking__customers') }}

),

gl_postings as (

    select * from {{ ref('stg_erp__gl_postings') }}

),

contributions as (

    select * from {{ ref('customer_contribution_monthly') }}

),

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

acquisition_costs_by_month as (

    select
        reporting_months.month,
        sum(gl_postings.amount) as acquisition_cost
    from gl_postings
    inner join reporting_months
        on gl_postings.accounting_period = {{ format_date('reporting_months.month', 'YYYY-MM') }}
    where gl_postings.gl_account in {{ sql_string_list(var('acquisition_cost_gl_accounts')) }}
    group by reporting_months.month

),

new_customers as (

    select
        customers.customer_id,
        customers.customer_type,
        customers.segment,
        reporting_months.month as onboarding_month
    from customers
    inner join reporting_months
        on cast(date_trunc('month', customers.onboarded_date) as date) = reporting_months.month

),

acquisition_costs_per_customer as (

    select
        new_customers.onboarding_month,
        acquisition_costs_by_month.acquisition_cost / count(*) as acquisition_cost_per_customer
    from new_customers
    inner join acquisition_costs_by_month
        on new_customers.onboarding_month = acquisition_costs_by_month.month
    group by
        new_customers.onboarding_month,
        acquisition_costs_by_month.acquisition_cost

),

cohort_months as (

    select
        new_customers.onboarding_month,
        new_customers.customer_type,
        new_customers.segment,
        contributions.month,
        sum(contributions.net_contribution) as net_contribution
    from new_customers
    inner join contributions
        on
            new_customers.customer_id = contributions.customer_id
            and new_customers.onboarding_month <= contributions.month
    group by
        new_customers.onboarding_month,
        new_customers.customer_type,
        new_customers.segment,
        contributions.month

),

cohorts as (

    select
        new_customers.onboarding_month,
        new_customers.customer_type,
        new_customers.segment,
        count(*) as new_customers,
        max(acquisition_costs_per_customer.acquisition_cost_per_customer)
            as acquisition_cost_per_customer
    from new_customers
    left join acquisition_costs_per_customer
        on new_customers.onboarding_month = acquisition_costs_per_customer.onboarding_month
    group by
        new_customers.onboarding_month,
        new_customers.customer_type,
        new_customers.segment

),

cohort_paybacks as (

    select
        cohorts.onboarding_month,
        cohorts.customer_type,
        cohorts.segment,
        cohort_months.month,
        cohort_months.net_contribution,
        sum(cohort_months.net_contribution) over (
            partition by cohorts.onboarding_month, cohorts.customer_type, cohorts.segment
            order by cohort_months.month
        ) as cumulative_net_contribution,
        cohorts.acquisition_cost_per_customer * cohorts.new_customers as acquisition_cost
    from cohorts
    inner join cohort_months
        on
            cohorts.onboarding_month = cohort_months.onboarding_month
            and cohorts.customer_type = cohort_months.customer_type
            and cohorts.segment = cohort_months.segment

),

cohort_payback_months as (

    select
        onboarding_month,
        customer_type,
        segment,
        sum(net_contribution) as net_contribution_to_date,
        min(
            (extract(year from month) - extract(year from onboarding_month)) * 12
            + extract(month from month) - extract(month from onboarding_month)
        ) filter (where cumulative_net_contribution >= acquisition_cost) as months_to_payback
    from cohort_paybacks
    group by
        onboarding_month,
        customer_type,
        segment

),

retention_costs as (

    select
        cohorts.onboarding_month,
        cohorts.customer_type,
        cohorts.segment,
        sum(contributions.relationship_manager_cost) as relationship_manager_cost,
        count(*) as customer_months
    from cohorts
    inner join customers
        on
            cohorts.customer_type = customers.customer_type
            and cohorts.segment = customers.segment
            and cohorts.onboarding_month > customers.onboarded_date
    inner join contributions
        on
            customers.customer_id = contributions.customer_id
            and cohorts.onboarding_month >= contributions.month
            and cohorts.onboarding_month - interval '12 months' < contributions.month
    group by
        cohorts.onboarding_month,
        cohorts.customer_type,
        cohorts.segment

),

final as (

    select
        cohorts.onboarding_month,
        cohorts.customer_type,
        cohorts.segment,
        cast(cohorts.new_customers as integer) as new_customers,
        cast(
            round(cohorts.acquisition_cost_per_customer * cohorts.new_customers, 2)
            as numeric(18, 2)
        ) as acquisition_cost,
        cast(
            round(cohorts.acquisition_cost_per_customer, 2) as numeric(18, 2)
        ) as acquisition_cost_per_customer,
        cast(
            coalesce(cohort_payback_months.net_contribution_to_date, 0) as numeric(18, 2)
        ) as net_contribution_to_date,
        cast(cohort_payback_months.months_to_payback as integer) as months_to_payback,
        cast(
            round(
                retention_costs.relationship_manager_cost * 12
                / nullif(retention_costs.customer_months, 0),
                2
            )
            as numeric(18, 2)
        ) as retention_cost_per_customer_year,
        cast(
            round(
                cohorts.acquisition_cost_per_customer
                / nullif(
                    retention_costs.relationship_manager_cost * 12
                    / nullif(retention_costs.customer_months, 0),
                    0
                ),
                4
            )
            as numeric(12, 4)
        ) as acquisition_to_retention_cost_ratio
    from cohorts
    left join cohort_payback_months
        on
            cohorts.onboarding_month = cohort_payback_months.onboarding_month
            and cohorts.customer_type = cohort_payback_months.customer_type
            and cohorts.segment = cohort_payback_months.segment
    left join retention_costs
        on
            cohorts.onboarding_month = retention_costs.onboarding_month
            and cohorts.customer_type = retention_costs.customer_type
            and cohorts.segment = retention_costs.segment

)

select * from final
{{ unless_closed_months_changed() }}
