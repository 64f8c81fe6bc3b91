{#
    `numerator` / `denominator` to the precision of a double or better, where
    the quotient is an exponent or factor that later steps compound (a
    monthly rate from an annual one). PostgreSQL's numeric division keeps at
    least 16 significant digits. Spark's decimal division gives the quotient
    a scale of max(6, s1 + p2 + 1): 6 digits for `1 / 12.0`, an error of
    3 in 10^7 that compounds over 60 months into a cent on a lifetime value.
    A double keeps 15 to 17 significant digits, as PostgreSQL's quotient
    does, and Spark's power() takes and returns doubles anyway.
#}
{% macro full_precision_quotient(numerator, denominator) -%}
    {{- return(adapter.dispatch('full_precision_quotient', 'customer_value')(numerator, denominator)) -}}
{%- endmacro %}

{% macro default__full_precision_quotient(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__full_precision_quotient(numerator, denominator) -%}
    cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}
