-- Customer dimension with history (type 2): one row per customer and version
-- of its tracked attributes, from the snapshot customer_attributes_snapshot.
-- The current version has valid_to 9999-12-31 (the snapshot's
-- dbt_valid_to_current) and is_current true.
with

customer_versions as (

    select * from {{ ref('customer_attributes_snapshot') }}

),

customer_versions_ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by valid_from desc
        ) as recency_rank
    from customer_versions

),

final as (

    select
        customer_key,
        customer_id,
        customer_type,
        full_name,
        {{ mask_person_name('full_name') }} as full_name_masked,
        segment,
        industry,
        branch_id,
        region,
        onboarded_date,
        status,
        closed_date,
        credit_rating,
        is_active,
        rm_id,
        valid_from,
        valid_to,
        recency_rank = 1 as is_current
    from customer_versions_ranked

)

select * from final
