{#
    Snapshots on Spark without Delta. dbt-spark builds a snapshot only on
    Delta, Iceberg or Hudi tables, because it closes versions with a MERGE;
    their jars cannot be installed here, and the project's tables are plain
    Parquet, which takes no update. This materialization keeps dbt's own
    snapshot logic (the strategy, the staging of inserts, updates and deletes,
    the meta column names, dbt_valid_to_current) and replaces the MERGE by a
    rewrite: the history with the changed versions closed, plus the new
    versions, is written to a new table that then takes the snapshot's name.
    A snapshot is one row per customer version, small next to the staging
    tables, so rewriting it whole each build costs little. It is built in
    `snapshots_build`, a copy that the next build starts again from the
    published snapshots (prepare_snapshot_build_area), so a rewrite cut short
    between the drop and the rename loses nothing published.
#}
{% materialization snapshot, adapter='spark' %}
    {%- set target_table = model.get('alias', model.get('name')) -%}
    {%- set grant_config = config.get('grants') -%}
    {% set target_relation_exists, target_relation = get_or_create_relation(
        database=none, schema=model.schema, identifier=target_table, type='table'
    ) -%}
    {% if not adapter.check_schema_exists(model.database, model.schema) %}
        {% do create_schema(model.schema) %}
    {% endif %}
    {%- if not target_relation.is_table -%}
        {% do exceptions.relation_wrong_type(target_relation, 'table') %}
    {%- endif -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% set strategy_macro = strategy_dispatch(config.get('strategy')) %}
    {% set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) %}

    {% if not target_relation_exists %}
        {% set build_sql = build_snapshot_table(strategy, model['compiled_code']) %}
        {% call statement('main') %}
            {{ create_table_as(False, target_relation, build_sql) }}
        {% endcall %}
    {% else %}
        {% set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() %}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {% set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) %}
        {% set rebuilt_relation = target_relation.incorporate(path={'identifier': target_table ~ '__dbt_rebuilt'}) %}
        {% do adapter.drop_relation(rebuilt_relation) %}
        {% call statement('main') %}
            {{ create_table_as(False, rebuilt_relation, parquet_snapshot_rewrite_sql(
                target_relation, staging_table, columns
            )) }}
        {% endcall %}
        {% do post_snapshot(staging_table) %}
        {% do adapter.drop_relation(target_relation) %}
        {% do adapter.rename_relation(rebuilt_relation, target_relation) %}
    {% endif %}

    {% set should_revoke = should_revoke(target_relation_exists, full_refresh_mode) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#
    What dbt's snapshot MERGE leaves, as one query: each current version that
    the staging updates or deletes gets the staging's valid_to, and the
    staging's inserts are added.
#}
{% macro parquet_snapshot_rewrite_sql(target_relation, staging_relation, columns) %}
    {% set target_columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list %}
    {% set valid_to_current = config.get('dbt_valid_to_current') %}
    with

    closed_versions as (
        select {{ columns.dbt_scd_id }}, {{ columns.dbt_valid_to }}
        from {{ staging_relation }}
        where dbt_change_type in ('update', 'delete')
    )

    select
        {% for column in target_columns -%}
            {% if column == columns.dbt_valid_to -%}
                coalesce(closed_versions.{{ column }}, history.{{ column }}) as {{ column }}
            {%- else -%}
                history.{{ column }}
            {%- endif %}{{ ',' if not loop.last }}
        {% endfor %}
    from {{ target_relation }} as history
    left join closed_versions
        on history.{{ columns.dbt_scd_id }} = closed_versions.{{ columns.dbt_scd_id }}
        and (history.{{ columns.dbt_valid_to }} is null
            {%- if valid_to_current %} or history.{{ columns.dbt_valid_to }} = {{ valid_to_current }}{% endif %})

    union all

    select {{ target_columns | join(', ') }}
    from {{ staging_relation }}
    where dbt_change_type = 'insert'
{% endmacro %}


{#
    The version's surrogate key as PostgreSQL computes it, so both engines give
    a version the same key: a moment enters the hash as PostgreSQL writes a
    timestamptz in UTC (`2026-10-01 12:00:00+00`, `.5` for fractions), other
    values as their text.
#}
{% macro spark__snapshot_hash_arguments(args) -%}
    md5({%- for arg in args -%}
        coalesce(
            case
                when typeof({{ arg }}) = 'timestamp'
                    then regexp_replace(date_format({{ arg }}, 'yyyy-MM-dd HH:mm:ss.SSSSSS'), '\\.?0+$', '') || '+00'
                else cast({{ arg }} as string)
            end,
            ''
        )
        {% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%})
{%- endmacro %}
