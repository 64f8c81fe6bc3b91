with

source as (

    select * from {{ source('erp', 'ftp_curve') }}

),

versions_ranked as (

    select
        *,
        row_number() over (
            partition by curve_date, term_months
            order by curve_date desc, _loaded_at desc
        ) as version_rank
    from source

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

renamed as (

    select
        cast(curve_date as date) as curve_date,
        cast(term_months as integer) as term_months,
        cast(ftp_rate as numeric(9, 6)) as ftp_rate,
        cast(_batch_id as text) as batch_id,
        cast(_loaded_at as timestamptz) as loaded_at
    from latest_versions

)

select * from renamed
