{#
    Incremental tables on Spark (plain Parquet tables, which take `append`
    and `insert_overwrite` but neither `merge` nor `delete`).

    The lineage record (incremental_lineage) is the table property
    `cvw.lineage`, so a build reads only the batches landed since the last
    one, as on PostgreSQL:
    - Month tables (insert_overwrite, partitioned by month, dbt_project.yml)
      write only the months month_scope rebuilds; Spark replaces exactly the
      partitions written (dbt-spark sets partitionOverwriteMode to dynamic)
      and keeps every other month. A night that rebuilds no month writes no
      row and so changes nothing.
    - Closed-month tables (append) are kept, or emptied by
      truncate_if_closed_months_changed and appended whole.
    - The staging tables and fct_transactions merge a night's versions by key
      (unique_key) on PostgreSQL. Overwriting cannot merge: a partition
      written replaces every row of it, the rows of the keys a night does not
      touch included, and Spark refuses to overwrite a table its query reads,
      so the rows to keep cannot come from the table itself. They are rebuilt
      whole on every build (lineage_kept_rows), as is any table overwritten
      without partitions.
#}
{% macro spark__lineage_record(relation) %}
    {% set properties = run_query('show tblproperties ' ~ relation) %}
    {% for key, value in properties.rows if key == 'cvw.lineage' %}
        {{ return(fromjson(value)) }}
    {% endfor %}
    {{ return(none) }}
{% endmacro %}


{% macro spark__lineage_kept_rows() %}
    {{ return(not (
        config.get('incremental_strategy') == 'insert_overwrite'
        and (config.get('unique_key') or not config.get('partition_by'))
    )) }}
{% endmacro %}


{#
    Pre-hook of a month table on Spark: Parquet tables have no `delete`. A
    whole rebuild empties the table; otherwise insert_overwrite replaces the
    partitions of the months the build writes (above).
#}
{% macro spark__delete_rebuilt_months(column) %}
    {% if execute and is_incremental() and month_scope(incremental_lineage()).full %}
        truncate table {{ this }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}
