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
    which the table must be built on (and is, before it, in the same build);
    the meta closed_months_only that dbt_project.yml gives these tables makes
    month_scope compare with them.

    The model keeps its SQL and ends with `{{ unless_closed_months_changed() }}`;
    the pre-hook truncate_if_closed_months_changed empties the table first.
#}
{% macro closed_months_changed(lineage) %}
    {% set scope = month_scope(lineage) %}
    {{ return(scope.full or scope.from_month is not none) }}
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
