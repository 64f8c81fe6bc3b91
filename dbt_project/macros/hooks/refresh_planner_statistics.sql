{#
    Post-hook of the tables other models read many times: fresh row counts and
    value statistics for the planner of the models built on them, now rather
    than whenever autovacuum gets to it.
#}
{% macro refresh_planner_statistics() %}
    {{- return(adapter.dispatch('refresh_planner_statistics')()) -}}
{% endmacro %}

{% macro default__refresh_planner_statistics() %}analyze {{ this }}{% endmacro %}

{#
    Spark plans joins from the files' sizes, which it always knows; column
    statistics (`analyze table ... compute statistics`) only feed its
    cost-based optimizer, off by default, and cost a full scan of the table.
#}
{% macro spark__refresh_planner_statistics() %}{% endmacro %}
