{#
    Incremental tables on Spark (plain Parquet tables, which take `append`
    and `insert_overwrite` but neither `merge` nor `delete`).

    This first version rebuilds every incremental table whole on each build:
    the lineage record that lets PostgreSQL read only the new batches
    (incremental_lineage: raw_meta.load_batches, the table comment read with
    obj_description) is not kept on Spark, so the lineage always says `full`
    and month_scope rebuilds every month. The tables stay incremental so a
    later version can add the record without changing any model.
    - Month tables (insert_overwrite, partitioned by month, dbt_project.yml):
      emptied first by delete_rebuilt_months, then every month written.
    - Closed-month tables (append): emptied by truncate_if_closed_months_changed,
      then appended.
#}
{% macro spark__incremental_lineage() %}
    {% set record = {
        'through': run_started_at.isoformat(),
        'build': 'full',
    } %}
    {{ return({
        'full': true,
        'through': none,
        'batch_ids': [],
        'from_loaded_at': none,
        'record': tojson(record),
        'landings': {},
        'parents': [],
    }) }}
{% endmacro %}


{#
    Pre-hook of a month table on Spark: Parquet tables have no `delete`;
    the whole table is rebuilt (above), so it is emptied when it exists.
    insert_overwrite then writes every month's partition.
#}
{% macro spark__delete_rebuilt_months(column) %}
    {% if execute and is_incremental() %}
        truncate table {{ this }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}
