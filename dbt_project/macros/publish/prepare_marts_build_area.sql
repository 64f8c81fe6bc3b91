{#
    The build area of the marts. Incremental marts are updated in place, so a
    build starts from marts already built: warehouse_meta.prepare_marts_build
    (src/cvw/sql/prepare_marts_build.sql) renames the marts the last publish
    replaced to `marts_build`, or copies the incremental ones from the
    published marts, or keeps the `marts_build` of a build that did not
    publish. Tables that are no longer a model of this project, and leftovers
    of a killed build, are dropped here, so the publish cannot carry them.
#}
{% macro prepare_marts_build_area(build=var('marts_build_schema')) %}
    {{- return(adapter.dispatch('prepare_marts_build_area')(build)) -}}
{% endmacro %}

{% macro default__prepare_marts_build_area(build) %}
    {% if execute and flags.WHICH in ['build', 'run'] and var('marts_schema', build) == build %}
        {% set marts = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('schema', 'equalto', build) | list %}
        {% set incremental = marts
            | selectattr('config.materialized', 'equalto', 'incremental')
            | map(attribute='alias') | list %}
        {#- A database the warehouse setup has not run on (a scratch copy) has no such function. -#}
        {% set prepared = run_query(
            "select to_regprocedure('warehouse_meta.prepare_marts_build(text[])') is not null"
        ).columns[0].values()[0] %}
        {% set outcome = 'not prepared' if not prepared else run_query(
            "select warehouse_meta.prepare_marts_build(array["
            ~ ("'" ~ incremental | join("', '") ~ "'" if incremental else '')
            ~ "]::text[])"
        ).columns[0].values()[0] %}
        {% set model_names = marts | map(attribute='alias') | list %}
        {% set relations = run_query(
            "select relname, case relkind when 'v' then 'view' else 'table' end from pg_class"
            ~ " where relnamespace = to_regnamespace('" ~ build ~ "')"
            ~ " and relkind in ('r', 'p', 'v') order by relname"
        ) %}
        {% set tables = relations.columns[0].values() %}
        {% for table, kind in relations.rows %}
            {% if table in model_names %}
                {#- dbt listed the relations before this hook ran. -#}
                {% do adapter.cache_added(api.Relation.create(
                    database=target.database, schema=build, identifier=table, type=kind
                )) %}
            {% else %}
                {% do run_query('drop ' ~ kind ~ ' if exists ' ~ build ~ '.' ~ adapter.quote(table) ~ ' cascade') %}
            {% endif %}
        {% endfor %}
        {{ log('marts build area: ' ~ outcome ~ ', ' ~ tables | select('in', model_names) | list | length
               ~ ' table(s) to build on', info=True) }}
    {% endif %}
{% endmacro %}

{#
    Nothing yet on Spark: it has no publish (the marts stay in their build
    schema, where incremental marts find their previous rows) and so no
    published marts to start a build from.
#}
{% macro spark__prepare_marts_build_area(build) %}{% endmacro %}
