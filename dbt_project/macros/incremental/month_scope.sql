{#
    Month tables: incremental models with one row per key and month whose rows
    of a month are computed from inputs of that month and, for a trailing
    window, of the months before it, never of later months.

    A build rebuilds every month from the earliest month that a batch landed
    since the table's last build touches, and keeps the months before it.
    The month of a landed row is the earliest of the columns the var
    month_keyed_landings names for its raw table (landed_row_moment); a batch of any other raw table the model reads
    (customers, accounts, products, contacts: attributes that hold for every
    month) rebuilds the whole table, as do the cases incremental_lineage
    rebuilds for. Batches that loaded no rows change nothing.

    A table of reporting months alone (meta `closed_months_only`, built on
    int_reporting_months_spined; every closed-month table is one) has no row
    of the open month: a night
    between two month closes lands only rows of the open month, so such a
    table keeps every row and reads nothing. The night the month-end balances
    land closes that month (the spine is the months with balances) and
    rebuilds it; late data rebuilds from its month on.

    Returns {full, from_month}: build the whole table, or rebuild the months
    from from_month on ('YYYY-MM-DD', the first of a month), or nothing when
    from_month is none. Kept in the lineage, so the model and its pre-hook
    read the landings once.
#}
{% macro month_scope(lineage) %}
    {% if 'month_scope' not in lineage %}
        {% do lineage.update({'month_scope': _month_scope_read(lineage)}) %}
    {% endif %}
    {{ return(lineage['month_scope']) }}
{% endmacro %}


{% macro _month_scope_read(lineage) %}
    {% if lineage.full %}
        {{ return({'full': true, 'from_month': none}) }}
    {% endif %}
    {% if not lineage.batch_ids %}
        {{ return({'full': false, 'from_month': none}) }}
    {% endif %}
    {% set month_keyed = var('month_keyed_landings') %}
    {% set changed = run_query(
        "select distinct source_system || '.' || table_name from raw_meta.load_batches"
        ~ " where rows_loaded > 0 and batch_id in ('" ~ lineage.batch_ids | join("', '") ~ "')"
    ).columns[0].values() %}
    {% set firsts = [] %}
    {% for landing in changed | sort %}
        {% if landing not in month_keyed %}
            {{ return({'full': true, 'from_month': none}) }}
        {% endif %}
        {% do firsts.append(
            'select cast(min(' ~ landed_row_moment(month_keyed[landing]) ~ ') as timestamp) as first_at from '
            ~ lineage.landings[landing] ~ ' where ' ~ landed_since(lineage)
        ) %}
    {% endfor %}
    {% if not firsts %}
        {{ return({'full': false, 'from_month': none}) }}
    {% endif %}
    {% set from_month = run_query(
        "select " ~ format_date('min(first_at)', 'YYYY-MM-01')
        ~ " from (" ~ firsts | join(' union all ') ~ ") as landed"
    ).columns[0].values()[0] %}
    {% if config.get('meta', {}).get('closed_months_only')
        and from_month is not none and from_month > (last_closed_month(lineage) or '') %}
        {{ return({'full': false, 'from_month': none}) }}
    {% endif %}
    {{ return({'full': false, 'from_month': from_month}) }}
{% endmacro %}


{#
    The last reporting month ('YYYY-MM-DD') of int_reporting_months_spined,
    which a table that keeps closed months alone must be built on.
#}
{% macro last_closed_month(lineage) %}
    {% set spine = 'model.' ~ project_name ~ '.int_reporting_months_spined' %}
    {% if spine not in lineage.parents %}
        {{ exceptions.raise_compiler_error(
            model.name ~ ' keeps closed months alone (meta closed_months_only) and reads'
            ~ ' month-keyed rows, but not int_reporting_months_spined, so it cannot tell a'
            ~ ' closed month from the open one: build it on the spine, or make it a month'
            ~ ' table of every month or a plain table'
        ) }}
    {% endif %}
    {{ return(run_query(
        "select " ~ format_date('max(month)', 'YYYY-MM-DD') ~ " from " ~ graph.nodes[spine].relation_name
    ).columns[0].values()[0]) }}
{% endmacro %}


{#
    The moment that places a landed row in its month: the earliest of the
    columns the var month_keyed_landings names for its raw table, by kind:
    `moment` a timestamptz (its UTC day), `date` a date, `period` a
    'YYYY-MM' text (the first of that month).
#}
{% macro landed_row_moment(columns) %}
    {%- set moments = [] -%}
    {%- if columns.moment %}{% do moments.append(utc_wall_clock(columns.moment)) %}{% endif -%}
    {%- if columns.date %}{% do moments.append(columns.date) %}{% endif -%}
    {%- if columns.period %}{% do moments.append(parse_date(columns.period, 'YYYY-MM')) %}{% endif -%}
    {{- return(moments[0] if moments | length == 1 else 'least(' ~ moments | join(', ') ~ ')') -}}
{% endmacro %}


{#
    The rows of a month column this build reads or writes: all, none, or the
    months from the scope's first on. `lookback_months` widens the read for a
    trailing window (11 for a 12-month window).
#}
{% macro rebuilt_months(scope, column='month', lookback_months=0) %}
    {%- if scope.full -%}
        true
    {%- elif scope.from_month is none -%}
        false
    {%- else -%}
        {#- The first month read, counted here: both engines take a date literal. -#}
        {%- set first = scope.from_month[:4] | int * 12 + scope.from_month[5:7] | int - 1 - lookback_months -%}
        {{ column }} >= date '{{ '%04d-%02d-01' % (first // 12, first % 12 + 1) }}'
    {%- endif -%}
{% endmacro %}


{# Pre-hook of a month table: empty it, or delete the months it rebuilds. #}
{% macro delete_rebuilt_months(column='month') %}
    {{ return(adapter.dispatch('delete_rebuilt_months', 'customer_value')(column)) }}
{% endmacro %}

{% macro default__delete_rebuilt_months(column) %}
    {% set scope = month_scope(incremental_lineage()) if execute and is_incremental() else none %}
    {% if scope is none or not (scope.full or scope.from_month) %}
        select 1
    {% elif scope.full %}
        truncate table {{ this }}
    {% else %}
        delete from {{ this }} where {{ rebuilt_months(scope, column) }}
    {% endif %}
{% endmacro %}
