{#
    The unbounded character type, for casts such as `cast(null as text)`:
    PostgreSQL's `text`; Spark has no `text` and calls it `string`.
#}
{% macro type_text() -%}
    {{- return(adapter.dispatch('type_text', 'customer_value')()) -}}
{%- endmacro %}

{% macro default__type_text() -%}
    text
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
