-- Credit-quality view, one row per month, rating band and days-past-due
-- bucket: loans, distinct customers and exposure (outstanding balance, CNY)
-- of the month-end loan snapshots, with the borrowers counted by their tier
-- of the month so rating and tier can be read side by side. Bands come from
-- the seed rating_bands, buckets from fct_loan_monthly (seed
-- days_past_due_buckets).
-- The tier columns are counted for these tiers of customer_tier_monthly.
{%- set tiers = ['premium', 'major', 'ordinary', 'restricted', 'potential'] %}
with

loans as (

    select * from {{ ref('fct_loan_monthly') }}

),

customer_tiers as (

    select * from {{ ref('customer_tier_monthly') }}

),

rating_bands as (

    select * from {{ ref('rating_bands') }}

),

loans_joined_to_bands_and_tiers as (

    select
        loans.loan_id,
        loans.month,
        loans.customer_id,
        loans.exposure,
        loans.dpd_bucket,
        rating_bands.rating_band,
        customer_tiers.tier
    from loans
    left join rating_bands
        on loans.risk_rating = rating_bands.risk_rating
    left join customer_tiers
        on
            loans.customer_id = customer_tiers.customer_id
            and loans.month = customer_tiers.month

),

loans_by_band_and_bucket as (

    select
        month,
        rating_band,
        dpd_bucket,
        count(distinct customer_id) as customers,
        {%- for tier in tiers %}
        cast(count(distinct customer_id) filter (where tier = '{{ tier }}') as integer)
            as {{ tier }}_customers,
        {%- endfor %}
        count(*) as loans,
        sum(exposure) as exposure
    from loans_joined_to_bands_and_tiers
    group by
        month,
        rating_band,
        dpd_bucket

),

final as (

    select
        month,
        rating_band,
        dpd_bucket,
        cast(customers as integer) as customers,
        cast(loans as integer) as loans,
        cast(exposure as numeric(18, 2)) as exposure,
        cast(
            exposure / nullif(sum(exposure) over (partition by month), 0)
            as numeric(12, 10)
        ) as exposure_share_of_month,
        premium_customers,
        major_customers,
        ordinary_customers,
        restricted_customers,
        potential_customers
    from loans_by_band_and_bucket

)

select * from final
{{ unless_closed_months_changed() }}
