{#
    Render a list of strings (usually a dbt var) as a SQL list literal:
    ['B', 'CCC'] -> ('B', 'CCC'). Single quotes inside values are doubled.
#}
{% macro sql_string_list(values) -%}
    {%- if values is string -%}
        {%- set values = [values] -%}
    {%- endif -%}
    (
    {%- for value in values -%}
        '{{ value | string | replace("'", "''") }}'
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
    )
{%- endmacro %}
