{#
    One row per value of a list (usually a dbt var of numbers), as a select
    expression: PostgreSQL unnests an array literal, Spark explodes array().
#}
{% macro values_unnested(values) -%}
    {{- return(adapter.dispatch('values_unnested', 'customer_value')(values)) -}}
{%- endmacro %}

{% macro default__values_unnested(values) -%}
    unnest(array[{{ values | join(', ') }}])
{%- endmacro %}

{% macro spark__values_unnested(values) -%}
    explode(array({{ values | join(', ') }}))
{%- endmacro %}
