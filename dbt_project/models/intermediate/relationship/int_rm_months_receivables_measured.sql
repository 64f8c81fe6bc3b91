-- The RM scorecard's billing and collection measures, per manager and
-- reporting month (int_rm_months_spined): ERP invoices issued in the month
-- and receivables outstanding at the month end and at the previous month
-- end, over the billing accounts matched to the manager's customers
-- (int_customer_rm_assigned, the current assignment applied to every month).
-- Months without invoices carry 0.
with

rm_months_spined as (

    select * from {{ ref('int_rm_months_spined') }}

),

customer_rm_assigned as (

    select * from {{ ref('int_customer_rm_assigned') }}

),

billing_accounts_matched as (

    select * from {{ ref('int_billing_accounts_matched') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

invoices_joined_to_managers as (

    select
        customer_rm_assigned.rm_id,
        invoices.invoiced_amount,
        invoices.issued_date,
        invoices.paid_date,
        coalesce(invoices.paid_amount, 0) as paid_amount
    from invoices
    inner join billing_accounts_matched
        on invoices.billing_account_id = billing_accounts_matched.billing_account_id
    inner join customer_rm_assigned
        on billing_accounts_matched.customer_id = customer_rm_assigned.customer_id

),

-- Every invoice issued by a month end counts in that month's receivables,
-- so each manager-month reads all of the manager's earlier invoices.
invoices_by_rm_month as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        sum(invoices_joined_to_managers.invoiced_amount) filter (
            where invoices_joined_to_managers.issued_date >= rm_months_spined.month
        ) as billed_amount,
        sum(
            invoices_joined_to_managers.invoiced_amount
            - case
                when invoices_joined_to_managers.paid_date <= rm_months_spined.month_end_date
                    then invoices_joined_to_managers.paid_amount
                else 0
            end
        ) as receivables_outstanding,
        sum(
            invoices_joined_to_managers.invoiced_amount
            - case
                when
                    invoices_joined_to_managers.paid_date
                    <= rm_months_spined.previous_month_end_date
                    then invoices_joined_to_managers.paid_amount
                else 0
            end
        ) filter (
            where
            invoices_joined_to_managers.issued_date
            <= rm_months_spined.previous_month_end_date
        ) as receivables_outstanding_previous
    from rm_months_spined
    inner join invoices_joined_to_managers
        on
            rm_months_spined.rm_id = invoices_joined_to_managers.rm_id
            and rm_months_spined.month_end_date >= invoices_joined_to_managers.issued_date
    group by
        rm_months_spined.rm_id,
        rm_months_spined.month

),

final as (

    select
        rm_months_spined.rm_id,
        rm_months_spined.month,
        cast(coalesce(invoices_by_rm_month.billed_amount, 0) as numeric(18, 2)) as billed_amount,
        cast(
            coalesce(invoices_by_rm_month.receivables_outstanding, 0) as numeric(18, 2)
        ) as receivables_outstanding,
        cast(
            coalesce(invoices_by_rm_month.receivables_outstanding_previous, 0) as numeric(18, 2)
        ) as receivables_outstanding_previous
    from rm_months_spined
    left join invoices_by_rm_month
        on
            rm_months_spined.rm_id = invoices_by_rm_month.rm_id
            and rm_months_spined.month = invoices_by_rm_month.month

)

select * from final
{{ unless_closed_months_changed() }}
