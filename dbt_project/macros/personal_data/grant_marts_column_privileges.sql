{#
    Post-hook of every mart (dbt_project.yml, models: marts): who may read
    the table just built.
    - var marts_pii_reader_role: every column.
    - var marts_reader_role (BI tools): every column of the built table except
      those whose documentation carries a `pii` meta tag, so a personal-data
      column is hidden from BI by tagging it, and the masked sibling
      (`<column>_masked`, untagged) is what BI shows instead.
    The column list comes from the built table itself. The marts' enforced
    contracts make every column appear in the yml, so a new column cannot
    skip its documentation; tag every new personal column there.
#}
{% macro grant_marts_column_privileges() %}
    {{- return(adapter.dispatch('grant_marts_column_privileges', 'customer_value')()) -}}
{% endmacro %}

{% macro default__grant_marts_column_privileges() %}
    {%- set pii_columns = [] -%}
    {%- for column_name, column in model.columns.items() -%}
        {%- if column.get('meta', {}).get('pii') -%}
            {%- do pii_columns.append(column_name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set readable_columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- if column.name | lower not in pii_columns -%}
            {%- do readable_columns.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    grant select on {{ this }} to {{ adapter.quote(var('marts_pii_reader_role')) }};
    {%- if readable_columns %}
    grant select ({{ readable_columns | join(', ') }}) on {{ this }}
        to {{ adapter.quote(var('marts_reader_role')) }};
    {%- endif %}
{% endmacro %}

{#
    Spark: no grants. Spark SQL itself has no privileges; who may read a
    table, and which columns, is decided by the catalog in front of it
    (Unity Catalog, Apache Ranger on a Hive metastore), which a deployment on
    Spark configures from the same `pii` tags.
#}
{% macro spark__grant_marts_column_privileges() %}
    select 1
{% endmacro %}
