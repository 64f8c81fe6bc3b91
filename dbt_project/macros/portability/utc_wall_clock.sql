{#
    The UTC wall-clock time of a timestamptz, as a timestamp without time
    zone: PostgreSQL's `<expression> at time zone 'UTC'`. Dates and months
    of events are taken from it, so they do not depend on the session's
    time zone.

    Spark has no `at time zone`. Its timestamps are instants shown in the
    session time zone; to_utc_timestamp(x, current_timezone()) shifts the
    instant so that the session shows its UTC wall clock, which a cast to
    date or date_trunc then reads (a no-op when the session runs in UTC).
#}
{% macro utc_wall_clock(expression) -%}
    {{- return(adapter.dispatch('utc_wall_clock', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__utc_wall_clock(expression) -%}
    {{ expression }} at time zone 'UTC'
{%- endmacro %}

{% macro spark__utc_wall_clock(expression) -%}
    to_utc_timestamp({{ expression }}, current_timezone())
{%- endmacro %}
