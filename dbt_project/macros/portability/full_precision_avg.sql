{#
    The average of a decimal `expression` (an aggregate) to full precision.
    PostgreSQL's avg() of numeric keeps at least 16 significant digits.
    Spark's avg() of decimal(p, s) is a decimal(p + 4, s + 4): 6 decimals for
    an amount in cents, which an average over 3 months leaves a third of a
    millionth off, enough to move a cent of a value compounded from it (a
    lifetime value). The sum divided by the count keeps the division's scale:
    17 decimals for decimal(18, 2) amounts, allowPrecisionLoss being false
    (cvw.config.spark_conf). Both skip nulls; all nulls give null.
#}
{% macro full_precision_avg(expression) -%}
    {{- return(adapter.dispatch('full_precision_avg', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__full_precision_avg(expression) -%}
    avg({{ expression }})
{%- endmacro %}

{% macro spark__full_precision_avg(expression) -%}
    sum({{ expression }}) / count({{ expression }})
{%- endmacro %}
