-- Product dimension: one row per core-banking product, with its family and
-- whether the contribution mart treats it as a deposit or a credit product
-- (the contribution_*_product_families vars).
with

products as (

    select * from {{ ref('stg_core_banking__products') }}

),

final as (

    select
        product_code,
        product_name,
        product_family,
        term_months,
        standard_rate,
        is_credit,
        product_family
        in {{ sql_string_list(var('contribution_deposit_product_families')) }} as is_deposit
    from products

)

select * from final
{{ unless_closed_months_changed() }}
