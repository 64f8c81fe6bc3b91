{#
    Whole months from `earlier` to `later` (two dates), as PostgreSQL's
    age() counts them: years x 12 + months of age(later, earlier), a month
    being complete when the day of the month is reached again (2024-02-29
    from 2024-01-31 is 0 months, 29 days).

    Spark has no age(), and months_between() counts two month ends as whole
    months apart (2024-02-29 and 2024-01-31 give 1.0), so the Spark form
    counts calendar months and takes one off while the day of the month is
    not yet reached (for a negative span, the same mirrored).
#}
{% macro whole_months_between(later, earlier) -%}
    {{- return(adapter.dispatch('whole_months_between', 'customer_value')(later, earlier)) -}}
{%- endmacro %}

{% macro default__whole_months_between(later, earlier) -%}
    extract(year from age({{ later }}, {{ earlier }})) * 12
            + extract(month from age({{ later }}, {{ earlier }}))
{%- endmacro %}

{% macro spark__whole_months_between(later, earlier) -%}
    (
        (year({{ later }}) - year({{ earlier }})) * 12
        + month({{ later }}) - month({{ earlier }})
        - case
            when {{ later }} >= {{ earlier }} and day({{ later }}) < day({{ earlier }}) then 1
            when {{ later }} < {{ earlier }} and day({{ later }}) > day({{ earlier }}) then -1
            else 0
        end
    )
{%- endmacro %}
