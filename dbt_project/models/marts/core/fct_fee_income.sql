-- Grain: one row per core-banking fee posting (fee_posting_id).
-- The grain is a unique index: PostgreSQL refuses a duplicate while it builds the table.
{{
    config(
        indexes=[
            {'columns': ['fee_posting_id'], 'unique': true},
        ]
    )
}}

with

fee_postings as (

    select * from {{ ref('stg_core_banking__fee_postings') }}

),

final as (

    select
        fee_posting_id,
        customer_id,
        account_id,
        branch_id,
        fee_category,
        cast(amount as numeric(18, 2)) as amount,
        posted_date,
        cast(date_trunc('month', posted_date) as date) as month
    from fee_postings

)

select * from final
