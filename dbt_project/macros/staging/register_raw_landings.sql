{#
    On Spark the raw landings are Parquet files (src/cvw/lake.py), one folder
    per raw table under the lake (env CVW_LAKE_DIR), partitioned by logical
    date; the batch log's by source system. This on-run-start
    hook makes every source of the project, raw_meta.load_batches and the
    identity-hash pads (cvw.lake.export_identity_hash_key) a table over its
    folder, so `source()` and the macros that read the batch log
    resolve as they do on PostgreSQL.

    A table is defined once, its columns read from the files (the catalog's
    types, cvw.lake); each build then recovers its partitions, so the logical
    dates landed since appear. A column a newer catalog adds to a landing
    reaches Spark once the table is dropped (its files stay: it is external)
    and defined again by the next build. On PostgreSQL the landings are the
    tables themselves: nothing to do.
#}
{% macro register_raw_landings() %}
    {{- return(adapter.dispatch('register_raw_landings')()) -}}
{% endmacro %}

{% macro default__register_raw_landings() %}{% endmacro %}

{% macro spark__register_raw_landings() %}
    {% if execute %}
        {% set lake = env_var('CVW_LAKE_DIR') %}
        {% set landings = [
            {'schema': 'raw_meta', 'identifier': 'load_batches'},
            {'schema': 'warehouse_meta', 'identifier': 'identity_hash_key', 'partitioned': false},
        ] %}
        {% for source_node in graph.sources.values() | sort(attribute='unique_id') %}
            {% do landings.append({'schema': source_node.schema, 'identifier': source_node.identifier}) %}
        {% endfor %}
        {% for schema in landings | map(attribute='schema') | unique %}
            {% do run_query('create database if not exists ' ~ schema) %}
        {% endfor %}
        {% for landing in landings %}
            {% set relation = landing.schema ~ '.' ~ landing.identifier %}
            {% do run_query(
                'create table if not exists ' ~ relation ~ ' using parquet'
                ~ " location '" ~ lake ~ '/' ~ landing.schema ~ '/' ~ landing.identifier ~ "'"
            ) %}
            {% if landing.get('partitioned', true) %}
                {% do run_query('alter table ' ~ relation ~ ' recover partitions') %}
            {% endif %}
        {% endfor %}
        {{ log('raw landings: ' ~ landings | length ~ ' Parquet table(s) registered from ' ~ lake, info=True) }}
    {% endif %}
{% endmacro %}
