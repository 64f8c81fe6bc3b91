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
    On Spark the publish renames each built mart to `<name>__p<id>` and keeps
    the tables of the publication it replaced (cvw.publish_spark). A build
    starts each incremental mart from the replaced publication's table,
    renamed back into the build area with its lineage record (a table
    property, which a rename keeps), as PostgreSQL renames the replaced marts.
    The build then reads every batch landed since that table was built. A
    mart left in the build area by a build that did not publish is kept; a
    mart with no replaced table (the first night after the first publish) is
    built whole.
#}
{% macro spark__prepare_marts_build_area(build) %}
    {% if execute and flags.WHICH in ['build', 'run'] and var('marts_schema', build) == build
        and run_query("show databases like '" ~ build ~ "'").rows | length > 0 %}
        {% set incremental = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('schema', 'equalto', build)
            | selectattr('config.materialized', 'equalto', 'incremental')
            | map(attribute='alias') | list %}
        {% set tables = run_query('show tables in ' ~ build).columns[1].values() %}
        {% set renamed = [] %}
        {% for name in incremental if name not in tables %}
            {% set ids = [] %}
            {% for table in tables if table.startswith(name ~ '__p') %}
                {% set id = table[(name ~ '__p') | length:] %}
                {% if id.isdigit() %}{% do ids.append(id | int) %}{% endif %}
            {% endfor %}
            {#- The newest is the publication served; the one before it was replaced. -#}
            {% if ids | length > 1 %}
                {% set replaced = build ~ '.' ~ name ~ '__p' ~ (ids | sort)[-2] %}
                {% do run_query('alter table ' ~ replaced ~ ' rename to ' ~ build ~ '.' ~ name) %}
                {% do adapter.cache_added(api.Relation.create(schema=build, identifier=name, type='table')) %}
                {% do renamed.append(name) %}
            {% endif %}
        {% endfor %}
        {{ log('marts build area: ' ~ renamed | length ~ ' replaced mart(s) renamed to build on', info=True) }}
    {% endif %}
{% endmacro %}
