{#
    Use a model's custom schema name verbatim (`staging`, `intermediate`,
    `reference`) instead of dbt's default `<target>_<custom>`. The marts say
    where they are published (`marts`) and are built in the schema of var
    `marts_build_schema`, which the pipeline validates and then publishes as
    `marts`; `--vars '{marts_schema: marts}'` points at the published tables
    instead (the docs catalog). Models without a custom schema land in the
    target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', var('marts_build_schema')) }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
