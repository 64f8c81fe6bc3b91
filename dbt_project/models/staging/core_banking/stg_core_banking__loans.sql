-- On Spark the table is partitioned by snapshot_date, the month or day a version
-- belongs to for good (partition_by; PostgreSQL ignores it).
{{
    config(
        unique_key=['loan_id', 'snapshot_date'],
        partition_by='snapshot_date',
    )
}}

{%- set lineage = incremental_lineage() %}

with

source as (

    select * from {{ source('core_banking', 'loans') }}
    where {{ landed_since(lineage) }}

),

renamed as (

    select
        cast(loan_id as {{ dbt.type_string() }}) as loan_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(principal_amount as numeric(18, 2)) as principal_amount,
        cast(outstanding_balance as numeric(18, 2)) as outstanding_balance,
        cast(interest_rate as numeric(9, 6)) as interest_rate,
        cast(term_months as integer) as term_months,
        cast(risk_rating as {{ dbt.type_string() }}) as risk_rating,
        cast(probability_of_default as numeric(7, 6)) as probability_of_default,
        cast(loss_given_default as numeric(7, 6)) as loss_given_default,
        cast(days_past_due as integer) as days_past_due,
        cast(updated_at as {{ type_timestamptz() }}) as updated_at,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source

),

versions as (

    {{ with_current_versions('renamed', 'loan_id, snapshot_date', lineage) }}

),

latest_versions as (

    {{ latest_versions('versions', 'loan_id, snapshot_date', 'updated_at desc, loaded_at desc') }}

)

select * from latest_versions
