{#
    Raw landings are append-only: an entity changed since the last extract is
    landed again in a later batch. This keeps the newest version of each
    business key (`partition_by`), newest first by `order_by`; ties on the
    change column are broken by the later load (`_loaded_at desc` in order_by).
#}
{% macro latest_versions(relation, partition_by, order_by) %}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }}
                order by {{ order_by }}
            ) as version_rank
        from {{ relation }}
    ) as versions_ranked
    where version_rank = 1
{% endmacro %}
