{#
    The space-separated words of a text in alphabetical order, joined by
    single spaces ('' for no words). PostgreSQL splits the text into rows
    and aggregates them back in order; Spark sorts the split array.
#}
{% macro words_sorted(expression) -%}
    {{- return(adapter.dispatch('words_sorted', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__words_sorted(expression) -%}
    array_to_string(
                    array(
                        select name_tokens.token
                        from regexp_split_to_table({{ expression }}, ' ') as name_tokens (token)
                        where name_tokens.token != ''
                        order by name_tokens.token
                    ),
                    ' '
                )
{%- endmacro %}

{% macro spark__words_sorted(expression) -%}
    array_join(
        array_sort(filter(split({{ expression }}, ' '), name_token -> name_token != '')),
        ' '
    )
{%- endmacro %}
