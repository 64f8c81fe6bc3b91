{#
    Fails with one row per combination of the given columns that occurs more
    than once. Use it for composite primary keys, e.g.
    `combination_of_columns: [customer_id, month]`.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

model_rows as (

    select {{ combination_of_columns | join(', ') }}
    from {{ model }}

),

duplicated_combinations as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from model_rows
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated_combinations

{% endtest %}
