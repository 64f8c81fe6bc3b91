{#
    The first row of each key, for a select that ends with `order by <keys>,
    <order>`: `select {{ distinct_on(keys) }} ... {{ first_row_order_by(keys,
    order) }}`. PostgreSQL keeps it as `select distinct on (keys) ... order
    by keys, order`. Spark has no `distinct on`: the select keeps the row
    numbered 1 of its key in that order (`qualify`), the same row.
#}
{% macro distinct_on(keys) -%}
    {{- return(adapter.dispatch('distinct_on', 'customer_value')(keys)) -}}
{%- endmacro %}

{% macro default__distinct_on(keys) -%}
    distinct on ({{ keys | join(', ') }})
{%- endmacro %}

{% macro spark__distinct_on(keys) -%}
{%- endmacro %}


{% macro first_row_order_by(keys, order) -%}
    {{- return(adapter.dispatch('first_row_order_by', 'customer_value')(keys, order)) -}}
{%- endmacro %}

{% macro default__first_row_order_by(keys, order) -%}
    order by
        {{ (keys + order) | join(',\n        ') }}
{%- endmacro %}

{% macro spark__first_row_order_by(keys, order) -%}
    qualify row_number() over (
        partition by {{ keys | join(', ') }}
        order by {{ order | join(', ') }}
    ) = 1
{%- endmacro %}
