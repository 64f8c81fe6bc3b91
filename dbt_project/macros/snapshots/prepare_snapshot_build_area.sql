{#
    Write-audit-publish for snapshots. A dbt snapshot is persistent history:
    a build that fails after the snapshot step would otherwise leave versions
    behind that the next clean build publishes. So every build snapshots into
    `snapshots_build`, recreated here from the last published `snapshots`
    (small: one row per customer version), and the publish step renames
    `snapshots_build` to `snapshots` in the same transaction that publishes
    the marts. A failed or killed build leaves only `snapshots_build`, which
    the next build discards.
#}
{% macro prepare_snapshot_build_area(published='snapshots', build='snapshots_build') %}
    {{- return(adapter.dispatch('prepare_snapshot_build_area')(published, build)) -}}
{% endmacro %}

{% macro default__prepare_snapshot_build_area(published, build) %}
    {% if execute and flags.WHICH in ['build', 'snapshot'] %}
        {% set published_tables = run_query(
            "select table_name from information_schema.tables"
            ~ " where table_schema = '" ~ published ~ "' and table_type = 'BASE TABLE'"
            ~ " order by table_name"
        ).columns[0].values() %}
        {#- Through the adapter, so dbt's relation cache forgets the dropped
            tables: a snapshot left by a failed build must not look present. -#}
        {% do adapter.drop_schema(api.Relation.create(database=target.database, schema=build)) %}
        {% do run_query('create schema ' ~ build) %}
        {% for table in published_tables %}
            {% do run_query(
                'create table ' ~ build ~ '.' ~ table
                ~ ' (like ' ~ published ~ '.' ~ table ~ ' including all);'
                ~ ' insert into ' ~ build ~ '.' ~ table
                ~ ' select * from ' ~ published ~ '.' ~ table
            ) %}
            {#- dbt listed the relations before this hook ran: without this the
                snapshot would try to create the table it now finds. -#}
            {% do adapter.cache_added(api.Relation.create(
                database=target.database, schema=build, identifier=table, type='table'
            )) %}
        {% endfor %}
        {{ log('snapshot build area: ' ~ published_tables | length
               ~ ' table(s) copied from ' ~ published ~ ' to ' ~ build, info=True) }}
    {% endif %}
{% endmacro %}

{#
    The same on Spark, where a database is the schema and a copy is a new
    Parquet table (`create table ... as select`, like the snapshot's own).
#}
{% macro spark__prepare_snapshot_build_area(published, build) %}
    {% if execute and flags.WHICH in ['build', 'snapshot'] %}
        {% set published_tables = [] %}
        {% if adapter.check_schema_exists(database=none, schema=published) %}
            {% for row in run_query('show tables in ' ~ published) if not row['isTemporary'] %}
                {% do published_tables.append(row['tableName']) %}
            {% endfor %}
        {% endif %}
        {% do adapter.drop_schema(api.Relation.create(schema=build)) %}
        {% do run_query('create database ' ~ build) %}
        {% for table in published_tables | sort %}
            {% do run_query(
                'create table ' ~ build ~ '.' ~ table ~ ' using parquet'
                ~ ' as select * from ' ~ published ~ '.' ~ table
            ) %}
            {% do adapter.cache_added(api.Relation.create(
                schema=build, identifier=table, type='table'
            )) %}
        {% endfor %}
        {{ log('snapshot build area: ' ~ published_tables | length
               ~ ' table(s) copied from ' ~ published ~ ' to ' ~ build, info=True) }}
    {% endif %}
{% endmacro %}
