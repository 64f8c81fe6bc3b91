{#
    Closed-month tables: incremental models that are not split by month
    (churn events, cohorts, summaries over the history) but read only the
    reporting (closed) months and attributes that hold for every month. A
    build rebuilds such a table whole when a batch landed since its last
    build touches a closed month or closes a new one (month_scope from a
    month no later than the last reporting month), or for any
    reason month_scope rebuilds whole. Otherwise it keeps the table: a night
    between two month closes lands only rows of the open month, which such a
    table does not read. The closed months are int_reporting_months_spined's,
    which the table must be built on (and is, before it, in the same build).

    The model keeps its SQL and ends with `{{ unless_closed_months_changed() }}`;
    the pre-hook truncate_if_closed_months_changed empties the table first.
#}
{% macro closed_months_changed(lineage) %}
    {% set scope = month_scope(lineage) %}
    {% if scope.full or scope.from_month is none %}
        {{ return(scope.full) }}
    {% endif %}
    {% set spine = 'model.' ~ project_name ~ '.int_reporting_months_spined' %}
    {% if spine not in lineage.parents %}
        {{ exceptions.raise_compiler_error(
            model.name ~ ' reads month-keyed rows but not int_reporting_months_spined, so it'
            ~ ' cannot tell a closed month from the open one: make it a month table or a plain table'
        ) }}
    {% endif %}
    {% set last_closed_month = run_query(
        "select to_char(max(month), 'YYYY-MM-DD') from " ~ graph.nodes[spine].relation_name
    ).columns[0].values()[0] %}
    {{ return(last_closed_month is not none and scope.from_month <= last_closed_month) }}
{% endmacro %}


{# Pre-hook of a closed-month table: empty it when it is rebuilt. #}
{% macro truncate_if_closed_months_changed() %}
    {% if execute and is_incremental() and closed_months_changed(incremental_lineage()) %}
        truncate table {{ this }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}


{# Ends a closed-month table's query: no rows when the table is kept. #}
{% macro unless_closed_months_changed() %}
    {#- A first or --full-refresh build, and a unit test, have a lineage that rebuilds whole. -#}
    {%- if execute and not closed_months_changed(incremental_lineage()) -%}
        limit 0
    {%- endif -%}
{% endmacro %}
