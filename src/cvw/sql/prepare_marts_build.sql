-- The start of a build: hand the transformer a `{marts_build}` to build into.
-- Incremental marts (fct_transactions) are updated in place, so the build
-- area must start from marts already built: the ones the last publish
-- replaced (`marts_previous`, renamed, which costs nothing) or, when there
-- are none, copies of the named tables from the published `marts`. A
-- `{marts_build}` with tables, left by a build that did not publish, is kept: its
-- incremental tables record what they were built from, and the next build
-- brings them up to date. Runs with the rights of its owner,
-- cvw_marts_owner (see cvw/access.py). Returns what it did.
create or replace function warehouse_meta.prepare_marts_build(p_copied_tables text[])
returns text
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $prepare$
declare
    table_name name;
begin
    -- Kept: a {marts_build} another role created (a superuser's ad-hoc dbt run
    -- builds in it as dbt alone would), or one that holds a build already.
    if exists (
        select from pg_namespace
        where nspname = '{marts_build}' and nspowner <> '{transformer}'::regrole
    ) or exists (
        select from pg_class
        inner join pg_namespace on pg_class.relnamespace = pg_namespace.oid
        where pg_namespace.nspname = '{marts_build}'
    ) then
        return 'kept';
    end if;
    if to_regnamespace('marts_previous') is not null then
        -- dbt creates the schemas of a build before its on-run-start hooks run.
        drop schema if exists {marts_build};
        alter schema marts_previous rename to {marts_build};
        alter schema {marts_build} owner to {transformer};
        -- Tables and the views of deprecated mart names alike (ALTER TABLE takes both).
        for table_name in
            select relname from pg_class
            where relnamespace = '{marts_build}'::regnamespace and relkind in ('r', 'p', 'v')
        loop
            execute format('alter table {marts_build}.%I owner to {transformer}', table_name);
        end loop;
        return 'recycled';
    end if;
    if to_regnamespace('{marts_build}') is null then
        create schema {marts_build} authorization {transformer};
    end if;
    if to_regnamespace('marts') is null then
        return 'created';
    end if;
    for table_name in
        select tablename from pg_tables
        where schemaname = 'marts' and tablename = any(p_copied_tables)
    loop
        execute format(
            'create table {marts_build}.%1$I (like marts.%1$I including all);'
            ' insert into {marts_build}.%1$I select * from marts.%1$I;'
            ' alter table {marts_build}.%1$I owner to {transformer}',
            table_name
        );
        execute format(
            'comment on table {marts_build}.%I is %L',
            table_name, obj_description(format('marts.%I', table_name)::regclass, 'pg_class')
        );
    end loop;
    return 'copied';
end
$prepare$
