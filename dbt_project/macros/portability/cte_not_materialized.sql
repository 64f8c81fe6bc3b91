{#
    The `not materialized` hint of a CTE that is read more than once
    (`name as {{ cte_not_materialized() }} (`): PostgreSQL would otherwise
    write it out before the first read. Spark has no such hint (it inlines
    CTEs into the plan), so it is left out there.
#}
{% macro cte_not_materialized() -%}
    {{- return(adapter.dispatch('cte_not_materialized', 'customer_value')()) -}}
{%- endmacro %}

{% macro default__cte_not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__cte_not_materialized() -%}
{%- endmacro %}
