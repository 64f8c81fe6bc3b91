{#
    A moment in time (UTC instant), the type of every `_at` column. Spark has no
    `timestamptz`: its `timestamp` is the same kind of instant, shown in the
    session's time zone (UTC, profiles.yml). Text columns use dbt's own
    dbt.type_string() (`text` on PostgreSQL, `string` on Spark).
#}
{% macro type_timestamptz() %}
    {{- return(adapter.dispatch('type_timestamptz')()) -}}
{% endmacro %}

{% macro default__type_timestamptz() %}timestamptz{% endmacro %}

{% macro spark__type_timestamptz() %}timestamp{% endmacro %}
