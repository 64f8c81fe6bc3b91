{#
    Whether `expression` matches the regular expression `pattern` (written
    as PostgreSQL takes it, without the quotes): PostgreSQL's `~`, Spark's
    `rlike`. Spark reads backslash escapes in string literals, so the
    pattern's backslashes are doubled for it.
#}
{% macro regex_matches(expression, pattern) -%}
    {{- return(adapter.dispatch('regex_matches', 'customer_value')(expression, pattern)) -}}
{%- endmacro %}

{% macro default__regex_matches(expression, pattern) -%}
    {{ expression }} ~ '{{ pattern }}'
{%- endmacro %}

{% macro spark__regex_matches(expression, pattern) -%}
    {{ expression }} rlike '{{ pattern | replace('\\', '\\\\') }}'
{%- endmacro %}
