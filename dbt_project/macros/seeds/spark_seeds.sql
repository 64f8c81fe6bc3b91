{#
    Seeds on Spark. The seeds' column_types are PostgreSQL type names, and
    Spark has no `text` and no `timestamptz`: both macros below give them
    their Spark names, so one set of seed docs serves both engines.
#}
{% macro _spark_seed_column_types(model) %}
    {% set spark_types = {'text': 'string', 'timestamptz': 'timestamp'} %}
    {% set column_types = {} %}
    {% for column, type in model['config'].get('column_types', {}).items() %}
        {% do column_types.update({column: spark_types.get(type | lower, type)}) %}
    {% endfor %}
    {{ return(column_types) }}
{% endmacro %}


{% macro spark__create_csv_table(model, agate_table) %}
    {% do model['config'].update({'column_types': _spark_seed_column_types(model)}) %}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{% endmacro %}


{#
    dbt-spark's own loader, in session mode, pastes each value between quotes
    unescaped: a description with an apostrophe breaks the statement, and an
    empty cell arrives as the text 'None'. The rows are written as literals
    here instead: null, numbers and booleans bare, everything else a quoted
    and escaped string cast to the column's type.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set column_types = _spark_seed_column_types(model) %}
    {% set types = [] %}
    {% for column in agate_table.column_names %}
        {% do types.append(column_types.get(column, adapter.convert_type(agate_table, loop.index0))) %}
    {% endfor %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(get_batch_size()) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ _spark_seed_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.first %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}


{% macro _spark_seed_literal(value) %}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{% endmacro %}
