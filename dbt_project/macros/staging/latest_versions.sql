{#
    Raw landings are append-only: an entity changed since the last extract is
    landed again in a later batch. This keeps the newest version of each
    business key (`partition_by`), newest first by `order_by`; ties on the
    change column are broken by the later load (`_loaded_at desc` in order_by).
#}
{% macro latest_versions(relation, partition_by, order_by) %}
    {{- return(adapter.dispatch('latest_versions')(relation, partition_by, order_by)) -}}
{% endmacro %}

{#
    `distinct on` rather than a row_number() filter: the planner estimates its
    output from the key's statistics, where it takes `rank = 1` for a handful
    of rows and then chooses nested loops that run for minutes downstream.
#}
{% macro default__latest_versions(relation, partition_by, order_by) %}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{% endmacro %}

{# Spark has no `distinct on`; the version's rank is dropped from the result. #}
{% macro spark__latest_versions(relation, partition_by, order_by) %}
    select * except (_version_rank)
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as _version_rank
        from {{ relation }}
    ) as ranked_versions
    where _version_rank = 1
{% endmacro %}
