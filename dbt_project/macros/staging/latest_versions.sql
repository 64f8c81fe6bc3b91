{#
    Raw landings are append-only: an entity changed since the last extract is
    landed again in a later batch. This keeps the newest version of each
    business key (`partition_by`), newest first by `order_by`; ties on the
    change column are broken by the later load (`_loaded_at desc` in order_by).
    `distinct on` rather than a row_number() filter: the planner estimates its
    output from the key's statistics, where it takes `rank = 1` for a handful
    of rows and then chooses nested loops that run for minutes downstream.
#}
{% macro latest_versions(relation, partition_by, order_by) %}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{% endmacro %}
