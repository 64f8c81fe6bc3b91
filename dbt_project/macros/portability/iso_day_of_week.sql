{#
    ISO day of the week: 1 Monday ... 7 Sunday. PostgreSQL extracts `isodow`;
    Spark calls the same field `dayofweek_iso` (its `dow` counts from Sunday).
#}
{% macro iso_day_of_week(expression) -%}
    {{- return(adapter.dispatch('iso_day_of_week', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__iso_day_of_week(expression) -%}
    extract(isodow from {{ expression }})
{%- endmacro %}

{% macro spark__iso_day_of_week(expression) -%}
    extract(dayofweek_iso from {{ expression }})
{%- endmacro %}
