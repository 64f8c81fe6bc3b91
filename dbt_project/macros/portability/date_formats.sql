{#
    Dates to and from text with PostgreSQL's template patterns
    (`to_char(date, 'YYYY-MM')`, `to_date(text, 'YYYY-MM')`). The models
    write the PostgreSQL pattern; on Spark it is translated to the Java
    datetime pattern date_format and to_date take. Only the patterns the
    project uses are translated; any other stops the build, so a new one is
    added here rather than passed through wrong.
#}
{% macro format_date(expression, pattern) -%}
    {{- return(adapter.dispatch('format_date', 'customer_value')(expression, pattern)) -}}
{%- endmacro %}

{% macro default__format_date(expression, pattern) -%}
    to_char({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__format_date(expression, pattern) -%}
    date_format({{ expression }}, '{{ spark_datetime_pattern(pattern) }}')
{%- endmacro %}


{% macro parse_date(expression, pattern) -%}
    {{- return(adapter.dispatch('parse_date', 'customer_value')(expression, pattern)) -}}
{%- endmacro %}

{% macro default__parse_date(expression, pattern) -%}
    to_date({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__parse_date(expression, pattern) -%}
    to_date({{ expression }}, '{{ spark_datetime_pattern(pattern) }}')
{%- endmacro %}


{#
    PostgreSQL template pattern -> Java datetime pattern. `FM` (fill mode)
    drops PostgreSQL's padding of month and day names to nine characters;
    Java's full names are never padded.
#}
{% macro spark_datetime_pattern(pattern) %}
    {%- set patterns = {
        'YYYY-MM': 'yyyy-MM',
        'YYYY-MM-DD': 'yyyy-MM-dd',
        'YYYY-MM-01': 'yyyy-MM-01',
        'YYYYMMDD': 'yyyyMMdd',
        'FMMonth': 'MMMM',
        'FMDay': 'EEEE',
    } -%}
    {%- if pattern not in patterns -%}
        {{ exceptions.raise_compiler_error(
            "no Spark datetime pattern for '" ~ pattern ~ "' (macros/portability/date_formats.sql)"
        ) }}
    {%- endif -%}
    {{ return(patterns[pattern]) }}
{% endmacro %}
