{#
    Incremental models over the append-only raw landings.

    Each incremental model records in its table comment (on Spark, the table
    property `cvw.lineage`) what it was built from: `through`, the start of
    the dbt invocation that last built it; `batches`, a hash of the ids of
    the batches that had finished landing by then (raw_meta.load_batches),
    over every raw table the model reads, directly or through other models;
    `code`, a hash of the SQL of the model and of the models and seeds it is
    built on; and `build`, whether that build was `full` or `incremental`
    (for operators and tests).

    The next build reads only the batches finished after `through` and merges
    their rows by the model's unique key. It rebuilds the whole table instead
    when the table carries no record, when the code changed, or when the
    batches recorded as read are no longer the ones landed by then: a logical
    date was run again and its landing replaced, so versions the table took
    from the old landing must go. Landing and building take turns (the DAG
    runs dbt after the extracts, one run at a time), so no batch finishes
    while a build reads.

    The code hash covers what decides a row: the SQL of the model and of the
    models, snapshots and seeds under it, the project macros they call (and
    the macros those call), and the value of every var that code names, so a
    changed business rule (a var in dbt_project.yml or --vars) rebuilds every
    table it shapes. A var read by a name held in a Jinja variable cannot be
    traced: a table whose code does that is rebuilt whole by every build.
#}

{% macro _lineage_parents(unique_id, seen) %}
    {% set node = graph.nodes.get(unique_id) %}
    {% if node is none %}
        {% do seen.update({unique_id: 'source'}) %}
    {% else %}
        {% do seen.update({unique_id: node.checksum.checksum}) %}
        {% for parent_id in node.depends_on.nodes if parent_id not in seen %}
            {% do _lineage_parents(parent_id, seen) %}
        {% endfor %}
    {% endif %}
{% endmacro %}


{% macro _lineage_macros(macro_id, found) %}
    {% set parts = macro_id.split('.') %}
    {% if parts[1] == project_name and parts[2] not in found %}
        {% set generator = context.get(parts[2]) %}
        {% if generator is not none %}
            {% do found.update({parts[2]: generator.macro}) %}
            {% for called_id in generator.macro.depends_on.macros %}
                {% do _lineage_macros(called_id, found) %}
            {% endfor %}
        {% endif %}
    {% endif %}
{% endmacro %}


{# The hash of the code a table is built from (see above). #}
{% macro _lineage_code(seen) %}
    {% set codes = [] %}
    {% set macros = {} %}
    {% for id in seen if id in graph.nodes %}
        {% do codes.append(graph.nodes[id].raw_code or '') %}
        {% for macro_id in graph.nodes[id].depends_on.macros %}
            {% do _lineage_macros(macro_id, macros) %}
        {% endfor %}
    {% endfor %}
    {% set parts = seen | dictsort | map('join', ':') | list %}
    {% for name, macro in macros | dictsort %}
        {% do parts.append(name ~ ':' ~ local_md5(macro.macro_sql)) %}
        {#- This folder's macros read vars by name on purpose (below). -#}
        {% if not macro.original_file_path.startswith('macros/incremental/') %}
            {% do codes.append(macro.macro_sql) %}
        {% endif %}
    {% endfor %}
    {% set var_values = {} %}
    {% for code in codes %}
        {% for call in code.split('var(')[1:] %}
            {% set quote = call[:1] %}
            {% if quote in ["'", '"'] %}
                {% set name = call[1:].split(quote)[0] %}
                {% do var_values.update({name: tojson(var(name, none))}) %}
            {% else %}
                {% do var_values.update({'(untraceable)': run_started_at.isoformat()}) %}
            {% endif %}
        {% endfor %}
    {% endfor %}
    {% do parts.extend(var_values | dictsort | map('join', '=') | list) %}
    {{ return(local_md5(parts | join(','))) }}
{% endmacro %}


{#
    Returns {full, through, batch_ids, from_loaded_at, record, landings,
    parents}: whether to build the whole table, the record's `through`, the
    batches landed since (their ids and the earliest load time among them),
    the record to store after this build (incremental_lineage_comment), the
    raw tables the model reads ('source.table': relation) and the unique ids
    of everything it is built on. The same on both engines: only reading and
    writing the record, and which tables can keep rows, are the adapter's
    (lineage_record, lineage_kept_rows).

    Computed once per model and invocation: the model's SQL, its pre-hooks
    and its post-hook each ask for it (and month_scope keeps its answer in
    it), and on Spark every reading costs a metastore call and a query. The
    batches and the record it reads do not change while the model builds,
    so every caller gets the same answer. The cache is a key of `graph`, the
    one object dbt hands every node's context in an invocation.
#}
{% macro incremental_lineage() %}
    {#- Only a model's build reads the record: `dbt compile` and `docs generate`
        render the full build's SQL (and may point at marts the transformer
        cannot read), and a unit test renders it over its fixtures. -#}
    {% if not (execute and flags.WHICH in ['run', 'build'] and model.resource_type == 'model') %}
        {{ return({'full': true}) }}
    {% endif %}
    {% set cache = graph.setdefault('customer_value_lineage', {}) %}
    {% set cache_key = invocation_id ~ ' ' ~ model.unique_id %}
    {% if cache_key not in cache %}
        {% do cache.update({cache_key: _incremental_lineage_read()}) %}
    {% endif %}
    {{ return(cache[cache_key]) }}
{% endmacro %}


{% macro _incremental_lineage_read() %}
    {% set seen = {} %}
    {% do _lineage_parents(model.unique_id, seen) %}
    {% set landings = [] %}
    {% set landing_relations = {} %}
    {% for id in seen if id.startswith('source.') %}
        {% set source_node = graph.sources[id] %}
        {% do landings.append("'" ~ source_node.source_name ~ "." ~ source_node.name ~ "'") %}
        {% do landing_relations.update({
            source_node.source_name ~ '.' ~ source_node.name: source_node.relation_name
        }) %}
    {% endfor %}
    {% set code = _lineage_code(seen) %}
    {% set through = run_started_at.isoformat() %}
    {% set existing = load_relation(this) if is_incremental() else none %}
    {% set recorded = (lineage_record(existing) if existing is not none else none) or {} %}
    {#- No record: every landed batch is new, and the table is rebuilt whole below. -#}
    {% set recorded_through = recorded.get('through') or through %}
    {% set lineage_sql %}
        with

        landed as (
            select
                batch_id,
                started_at,
                finished_at,
                finished_at <= cast('{{ recorded_through }}' as {{ type_timestamptz() }}) as was_read
            from raw_meta.load_batches
            where source_system || '.' || table_name in ({{ landings | sort | join(', ') or "null" }})
                and finished_at <= cast('{{ through }}' as {{ type_timestamptz() }})
        )

        select
            md5(coalesce({{ ordered_string_agg('batch_id', "','", 'batch_id', 'was_read') }}, ''))
                as batches_read,
            md5(coalesce({{ ordered_string_agg('batch_id', "','", 'batch_id', 'true') }}, ''))
                as batches_now,
            {{ ordered_string_agg('batch_id', "','", 'batch_id', 'not was_read') }} as new_batch_ids,
            min(started_at) filter (where not was_read) as new_from_loaded_at
        from landed
    {% endset %}
    {% set row = run_query(lineage_sql).rows[0] %}
    {% set full = existing is none
        or recorded.get('code') != code
        or recorded.get('batches') != row['batches_read']
        or not lineage_kept_rows() %}
    {% set record = {
        'code': code,
        'through': through,
        'batches': row['batches_now'],
        'build': 'full' if full else 'incremental',
    } %}
    {{ return({
        'full': full,
        'through': recorded.get('through'),
        'batch_ids': (row['new_batch_ids'] or '').split(',') | reject('equalto', '') | list,
        'from_loaded_at': row['new_from_loaded_at'],
        'record': tojson(record),
        'landings': landing_relations,
        'parents': seen | list,
    }) }}
{% endmacro %}


{# The record of the table's last build (a dict), none when it has none. #}
{% macro lineage_record(relation) %}
    {{ return(adapter.dispatch('lineage_record', 'customer_value')(relation)) }}
{% endmacro %}

{% macro default__lineage_record(relation) %}
    {% set comment = run_query(
        "select obj_description(cast('" ~ relation ~ "' as regclass), 'pg_class')"
    ).columns[0].values()[0] %}
    {{ return(fromjson(comment) if comment else none) }}
{% endmacro %}


{#
    Whether this build can keep the table's rows and change some: always on
    PostgreSQL (merge, delete+insert, append). On Spark an overwritten
    Parquet table (insert_overwrite) cannot merge by key, nor keep rows
    without partitions (spark_incremental_builds.sql).
#}
{% macro lineage_kept_rows() %}
    {{ return(adapter.dispatch('lineage_kept_rows', 'customer_value')()) }}
{% endmacro %}

{% macro default__lineage_kept_rows() %}
    {{ return(true) }}
{% endmacro %}


{# Post-hook: the record of this build, read by the next one. #}
{% macro incremental_lineage_comment() %}
    {{- return(adapter.dispatch('incremental_lineage_comment')()) -}}
{% endmacro %}

{% macro default__incremental_lineage_comment() %}
    comment on table {{ this }} is '{{ incremental_lineage().record }}'
{% endmacro %}

{#
    Spark has no table comments in its SQL; the record is a table property,
    which a rename keeps (spark__prepare_marts_build_area).
#}
{% macro spark__incremental_lineage_comment() %}
    alter table {{ this }} set tblproperties ('cvw.lineage' = '{{ incremental_lineage().record }}')
{% endmacro %}


{#
    First pre-hook of every model (dbt_project.yml), a no-op but for an
    incremental model: take the table's share update
    exclusive lock before the build changes anything. The lineage comment at
    the end of the build needs that lock, and autovacuum holds it while it
    vacuums the table; its VACUUM ANALYZE then waits for the build's
    transaction once that has changed the table's catalog row (a truncate,
    the grants), and the comment waits for the vacuum: PostgreSQL ends the
    build with "deadlock detected" (seen at bank size, on
    marts_build.contribution_by_rm_monthly). Taken first, the lock makes
    autovacuum skip the table, or, when a vacuum holds it already, the build
    waits and PostgreSQL cancels the vacuum after deadlock_timeout, as it
    does for any session an autovacuum blocks.
#}
{% macro lock_out_autovacuum() %}
    {{- return(adapter.dispatch('lock_out_autovacuum')()) -}}
{% endmacro %}

{% macro default__lock_out_autovacuum() %}
    {% if execute and is_incremental() %}
        lock table {{ this }} in share update exclusive mode
    {% else %}
        select 1
    {% endif %}
{% endmacro %}


{# Spark has no autovacuum, and no table lock to take. #}
{% macro spark__lock_out_autovacuum() %}{% endmacro %}


{# Pre-hook: empty the table when it is rebuilt whole in place (on Spark too). #}
{% macro truncate_unless_incremental() %}
    {% if execute and is_incremental() and incremental_lineage().full %}
        truncate table {{ this }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}


{#
    The rows this build reads from a landing, or from a model that keeps the
    landing's batch id and load time: all of them, or the new batches' (the
    load time bound lets PostgreSQL skip the older blocks: BRIN indexes).
#}
{% macro landed_since(lineage, loaded_at='_loaded_at', batch_id='_batch_id') %}
    {%- if lineage.full -%}
        true
    {%- elif lineage.batch_ids -%}
        {{ loaded_at }} >= '{{ lineage.from_loaded_at }}'
        and {{ batch_id }} in ('{{ lineage.batch_ids | join("', '") }}')
    {%- else -%}
        false
    {%- endif -%}
{% endmacro %}


{# The new versions plus the current version of each key they touch. #}
{% macro with_current_versions(relation, unique_key, lineage) %}
    select * from {{ relation }}
    {% if not lineage.full %}
        union all
        select * from {{ this }}
        where ({{ unique_key }}) in (select {{ unique_key }} from {{ relation }})
    {% endif %}
{% endmacro %}
