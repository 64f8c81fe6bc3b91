{#
    Fails with every row whose `column_name` is not a code of `code_list` in
    the seed `accepted_codes`, the one place the source systems' code lists are
    kept (the raw-landings gate reads the same file). A list kept in a seed of
    its own (the tiers in `customer_tiers`, say) is named by `seed` and
    `code_column` instead. NULL passes: not_null says whether a value is
    required.
#}
{% test accepted_code(model, column_name, code_list=none, seed='accepted_codes', code_column='code') %}

with

accepted_codes as (

    select {{ code_column }} as code
    from {{ ref(seed) }}
    {%- if code_list is not none %}
    where code_list = '{{ code_list }}'
    {%- endif %}

),

unaccepted_rows as (

    select {{ column_name }} as unaccepted_code
    from {{ model }}
    where
        {{ column_name }} is not null
        and {{ column_name }} not in (select accepted_codes.code from accepted_codes)

)

select * from unaccepted_rows

{% endtest %}
