-- The publish step: swap the validated build into `marts` in one transaction.
-- Runs with the rights of its owner, cvw_marts_owner (see cvw/access.py), so
-- the role that calls it needs nothing but EXECUTE. Returns the row count of
-- every published table.
create or replace function warehouse_meta.publish_marts(p_logical_date date)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
-- Fail rather than queue behind a long BI query holding a lock.
set lock_timeout = '60s'
as $publish$
declare
    row_counts jsonb := '{}'::jsonb;
    table_name name;
    row_count bigint;
    published_tables text;
    grantee oid;
begin
    if to_regnamespace('{marts_build}') is null then
        raise exception 'nothing to publish: schema {marts_build} does not exist';
    end if;
    for table_name in
        select tablename from pg_tables where schemaname = '{marts_build}' order by tablename
    loop
        execute format('select count(*) from {marts_build}.%I', table_name) into row_count;
        row_counts := row_counts || jsonb_build_object(table_name, row_count);
    end loop;
    if row_counts = '{}'::jsonb then
        raise exception 'nothing to publish: schema {marts_build} has no tables';
    end if;

    drop schema if exists marts_previous cascade;
    if to_regnamespace('marts') is not null then
        -- Renaming a schema locks no table in it: without this a reader's
        -- statement that has opened one published table could open the next
        -- one after the swap and join old rows to new ones. Holding every
        -- published table makes a reader see the old set or, once granted its
        -- lock after the commit, the new one.
        select string_agg(format('marts.%I', tablename), ', ' order by tablename)
        into published_tables
        from pg_tables where schemaname = 'marts';
        if published_tables is not null then
            execute format('lock table %s in access exclusive mode', published_tables);
        end if;
        alter schema marts rename to marts_previous;
        -- Readers keep exactly the published marts, not the previous ones.
        for grantee in
            select acl.grantee
            from pg_namespace, aclexplode(nspacl) as acl
            where nspname = 'marts_previous' and acl.grantee <> nspowner
        loop
            if grantee = 0 then
                revoke all on schema marts_previous from public;
            else
                execute format('revoke all on schema marts_previous from %s', grantee::regrole);
            end if;
        end loop;
    end if;

    alter schema {marts_build} rename to marts;
    -- Taken from the transformer, so dbt can no longer change what was published.
    alter schema marts owner to current_user;
    -- Tables and the views of deprecated mart names alike (ALTER TABLE takes both).
    for table_name in
        select relname from pg_class
        where relnamespace = 'marts'::regnamespace and relkind in ('r', 'p', 'v')
    loop
        execute format('alter table marts.%I owner to current_user', table_name);
    end loop;
    -- The schema opens to exactly the roles dbt granted the tables or columns to.
    for grantee in
        select acl.grantee
        from pg_class
        inner join pg_namespace on pg_class.relnamespace = pg_namespace.oid
        cross join aclexplode(pg_class.relacl) as acl
        where pg_namespace.nspname = 'marts' and acl.grantee <> pg_class.relowner
        union
        select acl.grantee
        from pg_attribute
        inner join pg_class on pg_attribute.attrelid = pg_class.oid
        inner join pg_namespace on pg_class.relnamespace = pg_namespace.oid
        cross join aclexplode(pg_attribute.attacl) as acl
        where pg_namespace.nspname = 'marts' and acl.grantee <> pg_class.relowner
    loop
        if grantee <> 0 then
            execute format('grant usage on schema marts to %s', grantee::regrole);
        end if;
    end loop;

    -- The build's dbt snapshots are promoted with the marts (snapshots_build
    -- starts each build as a copy of the published snapshots).
    if to_regnamespace('snapshots_build') is not null then
        drop schema if exists snapshots cascade;
        alter schema snapshots_build rename to snapshots;
        alter schema snapshots owner to current_user;
        for table_name in select tablename from pg_tables where schemaname = 'snapshots' loop
            execute format('alter table snapshots.%I owner to current_user', table_name);
        end loop;
        grant usage on schema snapshots to {transformer};
        grant select on all tables in schema snapshots to {transformer};
    end if;

    insert into warehouse_meta.publications (logical_date, table_row_counts)
    values (p_logical_date, row_counts);
    return row_counts;
end
$publish$
