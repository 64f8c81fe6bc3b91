-- The rates and rules the contribution of each reporting month was priced
-- with, one row per month, rate group and key, so a reader of the published
-- marts (the monthly finance pack, BI) can state them without reading the
-- landings, the seeds or the dbt project:
--   ftp_rate              the ERP FTP curve dated the first day of the month,
--                         one row per term point (rate_key `term_months <n>`)
--   unit_cost             the ERP unit cost of each cost-to-serve activity for
--                         the month's accounting period (rate_key = activity)
--   capital_ratio         the seeds economic_capital_ratios_by_risk_rating
--                         (loans, `risk_rating <rating>`) and
--                         _by_product_family (cards, `product_family <family>`),
--                         and deposit_capital_ratios_by_product_family
--                         (interest-rate and liquidity capital on deposits,
--                         `deposit_family <family>`)
--   contribution_rule     the dbt vars of customer_contribution_monthly
--                         and contribution_gl_reconciliation; the
--                         relationship-manager cost rule in use (rate_key
--                         `rm_cost_allocation_method <rule>`, rate_value 1)
--                         and, under `activity`, the hours of each CRM
--                         interaction type (`rm_interaction_hours <type>`)
--   concentration_limit   the seed concentration_limits (contribution_concentration)
-- source_month is the month of the ERP curve or period a rate comes from,
-- null for seeds and vars, which hold for every month.
with

reporting_months as (

    select * from {{ ref('int_reporting_months_spined') }}

),

ftp_rates as (

    select * from {{ ref('stg_erp__ftp_rates') }}

),

unit_costs as (

    select * from {{ ref('stg_erp__unit_costs') }}

),

cost_to_serve_activities as (

    select * from {{ ref('cost_to_serve_activities') }}

),

capital_ratios_by_risk_rating as (

    select * from {{ ref('economic_capital_ratios_by_risk_rating') }}

),

capital_ratios_by_product_family as (

    select * from {{ ref('economic_capital_ratios_by_product_family') }}

),

deposit_capital_ratios as (

    select * from {{ ref('deposit_capital_ratios_by_product_family') }}

),

concentration_limits as (

    select * from {{ ref('concentration_limits') }}

),

rm_interaction_hours as (

    select * from {{ ref('rm_interaction_hours') }}

),

ftp_curve_points as (

    select
        reporting_months.month,
        'ftp_rate' as rate_group,
        'term_months ' || ftp_rates.term_months as rate_key,
        cast(ftp_rates.ftp_rate as numeric(18, 6)) as rate_value,
        'annual rate' as rate_unit,
        'ERP FTP curve' as rate_source,
        ftp_rates.curve_date as source_month
    from reporting_months
    inner join ftp_rates
        on reporting_months.month = ftp_rates.curve_date

),

activity_unit_costs as (

    select
        reporting_months.month,
        'unit_cost' as rate_group,
        unit_costs.activity as rate_key,
        cast(unit_costs.unit_cost as numeric(18, 6)) as rate_value,
        'CNY per ' || replace(cost_to_serve_activities.cost_driver, '_', ' ') as rate_unit,
        'ERP unit costs' as rate_source,
        reporting_months.month as source_month
    from reporting_months
    inner join unit_costs
        on {{ format_date('reporting_months.month', 'YYYY-MM') }} = unit_costs.accounting_period
    -- only the activities cost to serve prices
    inner join cost_to_serve_activities
        on unit_costs.activity = cost_to_serve_activities.activity

),

capital_ratios as (

    select
        reporting_months.month,
        'capital_ratio' as rate_group,
        'risk_rating ' || capital_ratios_by_risk_rating.risk_rating as rate_key,
        cast(capital_ratios_by_risk_rating.capital_ratio as numeric(18, 6)) as rate_value,
        'share of loan exposure' as rate_unit,
        'seed economic_capital_ratios_by_risk_rating' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    cross join capital_ratios_by_risk_rating

    union all

    select
        reporting_months.month,
        'capital_ratio' as rate_group,
        'product_family ' || capital_ratios_by_product_family.product_family as rate_key,
        cast(capital_ratios_by_product_family.capital_ratio as numeric(18, 6)) as rate_value,
        'share of exposure without a loan rating' as rate_unit,
        'seed economic_capital_ratios_by_product_family' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    cross join capital_ratios_by_product_family

    union all

    select
        reporting_months.month,
        'capital_ratio' as rate_group,
        'deposit_family ' || deposit_capital_ratios.product_family as rate_key,
        cast(deposit_capital_ratios.capital_ratio as numeric(18, 6)) as rate_value,
        'share of deposit average balance' as rate_unit,
        'seed deposit_capital_ratios_by_product_family' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    cross join deposit_capital_ratios

),

contribution_rules as (

    {%- set contribution_rules = [
        ('contribution_hurdle_rate', 'annual rate on economic capital'),
        ('contribution_day_count_basis', 'days in the year of the NII formula'),
        ('contribution_default_min_days_past_due', 'days past due from which PD = 1'),
        ('contribution_operational_risk_alpha', 'share of annual gross income held as capital'),
        ('raroc_min_economic_capital', 'CNY of economic capital below which RAROC is null'),
        ('gl_unallocated_share_alarm', 'share of a GL line left unallocated'),
    ] %}
    {%- for var_name, rate_unit in contribution_rules %}
    select
        month,
        'contribution_rule' as rate_group,
        '{{ var_name }}' as rate_key,
        cast({{ var(var_name) }} as numeric(18, 6)) as rate_value,
        '{{ rate_unit }}' as rate_unit,
        'dbt var {{ var_name }}' as rate_source,
        cast(null as date) as source_month
    from reporting_months

    union all
    {% endfor %}
    select
        month,
        'contribution_rule' as rate_group,
        'rm_cost_allocation_method {{ var('rm_cost_allocation_method') }}' as rate_key,
        cast(1 as numeric(18, 6)) as rate_value,
        'rule in use' as rate_unit,
        'dbt var rm_cost_allocation_method' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    {%- if var('rm_cost_allocation_method') == 'activity' %}

    union all

    select
        reporting_months.month,
        'contribution_rule' as rate_group,
        'rm_interaction_hours ' || rm_interaction_hours.interaction_type as rate_key,
        cast(rm_interaction_hours.hours as numeric(18, 6)) as rate_value,
        'RM hours per interaction' as rate_unit,
        'seed rm_interaction_hours' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    cross join rm_interaction_hours
    {%- endif %}

),

largest_customer_share_caps as (

    select
        reporting_months.month,
        'concentration_limit' as rate_group,
        'largest_customer_share_cap' as rate_key,
        cast(concentration_limits.largest_customer_share_cap as numeric(18, 6)) as rate_value,
        'share of 12-month contribution' as rate_unit,
        'seed concentration_limits' as rate_source,
        cast(null as date) as source_month
    from reporting_months
    cross join concentration_limits

),

final as (

    select * from ftp_curve_points
    union all
    select * from activity_unit_costs
    union all
    select * from capital_ratios
    union all
    select * from contribution_rules
    union all
    select * from largest_customer_share_caps

)

select * from final
{{ unless_closed_months_changed() }}
