{#
    Use a model's custom schema name verbatim (`staging`, `intermediate`,
    `marts_build`, `reference`) instead of dbt's default `<target>_<custom>`.
    Models without a custom schema land in the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
