{#
    A set-returning expression for `cross join lateral ... as alias (column)`:
    every value from `start` to `stop` (timestamps) in steps of `step` (an
    interval literal such as "interval '1 month'"). PostgreSQL's
    generate_series; Spark has no generate_series and explodes a sequence()
    array, which takes the same bounds and interval (both ends included).
#}
{% macro series_generated(start, stop, step) -%}
    {{- return(adapter.dispatch('series_generated', 'customer_value')(start, stop, step)) -}}
{%- endmacro %}

{% macro default__series_generated(start, stop, step) -%}
    generate_series(
        {{ start }},
        {{ stop }},
        {{ step }}
    )
{%- endmacro %}

{% macro spark__series_generated(start, stop, step) -%}
    explode(sequence(
        {{ start }},
        {{ stop }},
        {{ step }}
    ))
{%- endmacro %}
