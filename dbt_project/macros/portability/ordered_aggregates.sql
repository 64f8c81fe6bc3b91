{#
    Aggregates whose result follows an order within the group, each with an
    aggregate filter (`filter (where <condition>)`).

    ordered_array_agg: the values as an array in `order` (PostgreSQL's
    `array_agg(value order by order)`). Spark's collect_list takes no order:
    it collects (order, value) pairs, sorts them and keeps the values. Over
    no rows PostgreSQL gives null and Spark an empty array; read it with
    array_first, which is null for both.

    ordered_string_agg: the values joined by `delimiter` in `order`
    (PostgreSQL's `string_agg(value, delimiter order by order)`, Spark's
    listagg ... within group); null over no rows on both.

    array_first: an array's first element, null when it has none (PostgreSQL
    arrays count from 1; Spark's try_element_at does too and, unlike [0],
    gives null past the end).
#}
{% macro ordered_array_agg(value, order, condition) -%}
    {{- return(adapter.dispatch('ordered_array_agg', 'customer_value')(value, order, condition)) -}}
{%- endmacro %}

{% macro default__ordered_array_agg(value, order, condition) -%}
    array_agg({{ value }} order by {{ order }})
        filter (where {{ condition }})
{%- endmacro %}

{% macro spark__ordered_array_agg(value, order, condition) -%}
    transform(
            array_sort(
                collect_list(named_struct('sort_key', {{ order }}, 'value', {{ value }}))
                filter (where {{ condition }})
            ),
            entry -> entry.value
        )
{%- endmacro %}


{% macro ordered_string_agg(value, delimiter, order, condition) -%}
    {{- return(adapter.dispatch('ordered_string_agg', 'customer_value')(value, delimiter, order, condition)) -}}
{%- endmacro %}

{% macro default__ordered_string_agg(value, delimiter, order, condition) -%}
    string_agg({{ value }}, {{ delimiter }} order by {{ order }})
        filter (where {{ condition }})
{%- endmacro %}

{% macro spark__ordered_string_agg(value, delimiter, order, condition) -%}
    listagg({{ value }}, {{ delimiter }}) within group (order by {{ order }})
        filter (where {{ condition }})
{%- endmacro %}


{% macro array_first(expression) -%}
    {{- return(adapter.dispatch('array_first', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__array_first(expression) -%}
    {{ expression }}[1]
{%- endmacro %}

{% macro spark__array_first(expression) -%}
    try_element_at({{ expression }}, 1)
{%- endmacro %}
