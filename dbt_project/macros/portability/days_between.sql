{#
    Days from `earlier` to `later` (two dates) as an integer. PostgreSQL
    subtracts dates into an integer; Spark's date subtraction gives an
    interval, and datediff() the integer.
#}
{% macro days_between(later, earlier) -%}
    {{- return(adapter.dispatch('days_between', 'customer_value')(later, earlier)) -}}
{%- endmacro %}

{% macro default__days_between(later, earlier) -%}
    {{ later }} - {{ earlier }}
{%- endmacro %}

{% macro spark__days_between(later, earlier) -%}
    datediff({{ later }}, {{ earlier }})
{%- endmacro %}
