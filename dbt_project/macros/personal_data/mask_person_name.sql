{#
    A name a reader may see without learning who the customer is. Null or
    blank gives null.
    - CJK (the name starts with a CJK ideograph): the first character, then
      one `*` per further character: 张伟 -> 张*, 欧阳娜娜 -> 欧***.
    - Otherwise (Latin script): the initial of the first word, `**`, a space
      and the last word: Wei Zhang -> W** Zhang; a single word keeps only its
      initial: Wei -> W**. Company names follow the same rule
      (Hangzhou Huaxin Trading Co., Ltd. -> H** Ltd.).
#}
{% macro mask_person_name(expression) -%}
    {{- return(adapter.dispatch('mask_person_name', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__mask_person_name(expression) -%}
    {%- set name = "nullif(btrim(" ~ expression ~ "), '')" -%}
    case
        when {{ name }} ~ '^[\u4e00-\u9fff]'
            then left({{ name }}, 1) || repeat('*', char_length({{ name }}) - 1)
        when {{ name }} ~ '\s'
            then left({{ name }}, 1) || '** ' || substring({{ name }} from '(\S+)$')
        else left({{ name }}, 1) || '**'
    end
{%- endmacro %}

{# Spark: the same rules with rlike and regexp_extract (backslashes doubled in its literals). #}
{% macro spark__mask_person_name(expression) -%}
    {%- set name = "nullif(btrim(" ~ expression ~ "), '')" -%}
    case
        when {{ name }} rlike '^[\\u4e00-\\u9fff]'
            then left({{ name }}, 1) || repeat('*', char_length({{ name }}) - 1)
        when {{ name }} rlike '\\s'
            then left({{ name }}, 1) || '** ' || regexp_extract({{ name }}, '(\\S+)$', 1)
        else left({{ name }}, 1) || '**'
    end
{%- endmacro %}
