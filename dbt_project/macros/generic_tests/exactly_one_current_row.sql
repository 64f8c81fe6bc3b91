{#
    For a type 2 dimension: fails with every value of `column_name` (the
    durable key) that does not have exactly one row where the boolean
    `current_flag` is true, e.g. on dim_customer.customer_id with
    `current_flag: is_current`.
#}
{% test exactly_one_current_row(model, column_name, current_flag) %}

with

current_rows_by_key as (

    select
        {{ column_name }} as durable_key,
        count(*) filter (where {{ current_flag }}) as current_rows
    from {{ model }}
    group by {{ column_name }}

),

failing_keys as (

    select * from current_rows_by_key
    where current_rows <> 1

)

select * from failing_keys

{% endtest %}
