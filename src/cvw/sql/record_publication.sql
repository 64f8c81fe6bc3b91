-- The publication log row of a publish on Spark (cvw/publish_spark.py), where
-- the marts live in the Spark catalog and PostgreSQL keeps the run's records.
-- Runs with the rights of its owner, cvw_marts_owner, so the publisher needs
-- nothing but EXECUTE. The caller keeps its transaction open while it points
-- the published views at the new tables, and commits only once all of them
-- do: a publish that fails on the way leaves no row.
create or replace function warehouse_meta.record_publication(
    p_logical_date date, p_table_row_counts jsonb, p_engine text
)
returns bigint
language sql
security definer
set search_path = pg_catalog, pg_temp
as $record$
    insert into warehouse_meta.publications (logical_date, table_row_counts, engine)
    values (p_logical_date, p_table_row_counts, p_engine)
    returning publication_id;
$record$
