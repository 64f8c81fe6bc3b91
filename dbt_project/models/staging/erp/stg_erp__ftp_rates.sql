with

source as (

    select * from {{ source('erp', 'ftp_curve') }}

),

latest_versions as (

    {{ latest_versions('source', 'curve_date, term_months', 'curve_date desc, _loaded_at desc') }}

),

renamed as (

    select
        cast(curve_date as date) as curve_date,
        cast(term_months as integer) as term_months,
        cast(ftp_rate as numeric(9, 6)) as ftp_rate,
        cast(_batch_id as {{ dbt.type_string() }}) as batch_id,
        cast(_loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_versions

)

select * from renamed
