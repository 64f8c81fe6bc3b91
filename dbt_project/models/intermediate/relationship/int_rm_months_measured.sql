-- One row per relationship manager and reporting month with the additive
-- inputs of the RM scorecard (counts and CNY sums, never ratios), so that
-- rm_scorecard_monthly can add managers up to teams before dividing.
-- The measures are computed by independent models on the same RM-month
-- spine (int_rm_months_spined), each with its attribution:
--   int_rm_months_portfolio_measured    new customers, surveys, retention:
--                                       the manager of the customer;
--   int_rm_months_pipeline_measured     opportunities, follow-ups: the
--                                       manager recorded on the CRM record;
--   int_rm_months_receivables_measured  invoices and receivables: the
--                                       manager of the billing account's customer.
-- Each has a row for every spine row, with 0 for months without activity.
with

rm_months_spined as (

    select * from {{ ref('int_rm_months_spined') }}

),

rm_months_portfolio_measured as (

    select * from {{ ref('int_rm_months_portfolio_measured') }}

),

rm_months_pipeline_measured as (

    select * from {{ ref('int_rm_months_pipeline_measured') }}

),

rm_months_receivables_measured as (

    select * from {{ ref('int_rm_months_receivables_measured') }}

),

final as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        rm_months_portfolio_measured.new_customers_won,
        rm_months_portfolio_measured.surveys,
        rm_months_portfolio_measured.satisfaction_score_total,
        rm_months_pipeline_measured.opportunities_won,
        rm_months_pipeline_measured.opportunities_lost,
        rm_months_pipeline_measured.won_intended_amount,
        rm_months_pipeline_measured.won_booked_amount,
        rm_months_pipeline_measured.won_forecast_error_amount,
        rm_months_receivables_measured.billed_amount,
        rm_months_receivables_measured.receivables_outstanding,
        rm_months_receivables_measured.receivables_outstanding_previous,
        rm_months_pipeline_measured.follow_ups_due,
        rm_months_pipeline_measured.follow_ups_done_on_time,
        rm_months_portfolio_measured.retention_base_customers,
        rm_months_portfolio_measured.retained_customers
    from rm_months_spined
    inner join rm_months_portfolio_measured
        on
            rm_months_spined.rm_id = rm_months_portfolio_measured.rm_id
            and rm_months_spined.month = rm_months_portfolio_measured.month
    inner join rm_months_pipeline_measured
        on
            rm_months_spined.rm_id = rm_months_pipeline_measured.rm_id
            and rm_months_spined.month = rm_months_pipeline_measured.month
    inner join rm_months_receivables_measured
        on
            rm_months_spined.rm_id = rm_months_receivables_measured.rm_id
            and rm_months_spined.month = rm_months_receivables_measured.month

)

select * from final
{{ unless_closed_months_changed() }}
