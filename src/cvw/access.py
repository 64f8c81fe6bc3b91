"""Who may log in to the warehouse and what each role may do.

Every component connects as its own role and holds only what its step needs:

- ``cvw_loader`` (the extracts) owns the landing schemas ``raw_core_banking``,
  ``raw_erp``, ``raw_crm`` and ``raw_meta`` and nothing else.
- ``cvw_transformer`` (dbt and the quality gates) reads the landings and owns
  what dbt creates: staging, intermediate, reference, the build areas
  ``marts_build`` and ``snapshots_build``. It cannot reach the published marts;
  ``warehouse_meta.prepare_marts_build`` hands it the marts the last publish
  replaced (or copies of the incremental ones) to build on.
- ``cvw_publisher`` (the publish step) can do one thing: call
  ``warehouse_meta.publish_marts``, the swap.
- ``cvw_marts_owner`` cannot log in. It owns the published ``marts`` and
  ``snapshots`` and the publish function, which runs with its rights: it may
  take over the build areas (it is a member of the transformer) and the
  transformer may not touch what it published.
- ``cvw_bi_reader`` reads the published marts, personal columns excepted (it
  reads their masked siblings); ``cvw_pii_reader`` reads them in clear. Which
  columns are personal is the ``pii`` meta tag in the dbt model docs; dbt
  grants the columns, the publish step opens the schema to those roles.
- ``cvw_core_banking_reader`` reads the simulated core-banking source.

``PUBLIC`` loses ``CONNECT`` and ``TEMPORARY`` on every database of the server
and ``CREATE`` on ``public``. ``setup_script`` is the whole setup as SQL for a
team's DBA (``cvw db roles-sql``); on the embedded
server ``bootstrap`` runs it as the superuser, with generated passwords.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from cvw.config import Settings, sibling_database_url
from cvw.credentials import secret
from cvw.dbt_vars import marts_build_schema
from cvw.identity_key import IDENTITY_KEY_DDL, install_identity_key
from cvw.roles import CORE_BANKING_READER, LOADER, MARTS_OWNER, PUBLISHER, TRANSFORMER

RAW_SCHEMAS = ("raw_core_banking", "raw_erp", "raw_crm", "raw_meta")
# Schemas dbt creates; on an installation that predates the roles they are
# handed to the transformer, and the published ones to the marts owner.
TRANSFORMER_SCHEMAS = ("staging", "intermediate", "reference", "snapshots_build")
PUBLISHED_SCHEMAS = ("marts", "marts_previous", "snapshots")


@dataclass(frozen=True)
class Step:
    """One statement of the setup and the database it runs in."""

    database: str
    statement: str


def login_roles(settings: Settings) -> tuple[str, ...]:
    return (
        LOADER,
        TRANSFORMER,
        PUBLISHER,
        settings.marts_reader_role,
        settings.marts_pii_reader_role,
        CORE_BANKING_READER,
    )


def _create_role(name: str, login: bool) -> str:
    kind = "login" if login else "nologin"
    return (
        f"do $$ begin if not exists (select from pg_roles where rolname = '{name}') then"
        f" create role {name} {kind}; end if; end $$"
    )


def _server_steps(settings: Settings) -> list[Step]:
    warehouse, core_banking = settings.warehouse_database, settings.core_banking_database
    readers = f"{settings.marts_reader_role}, {settings.marts_pii_reader_role}"
    steps = [_create_role(role, login=True) for role in login_roles(settings)]
    steps += [
        _create_role(MARTS_OWNER, login=False),
        f"grant {TRANSFORMER} to {MARTS_OWNER} with inherit true",
        "revoke connect, temporary on database postgres from public",
        f"revoke connect, temporary on database {warehouse} from public",
        f"grant connect on database {warehouse} to {LOADER}, {TRANSFORMER}, {PUBLISHER}, {readers}",
        # The landing stages rows in temporary tables; dbt creates its schemas,
        # and snapshots and unit tests use temporary tables.
        f"grant temporary on database {warehouse} to {LOADER}",
        f"grant create, temporary on database {warehouse} to {TRANSFORMER}",
    ]
    if core_banking != warehouse:
        steps += [
            f"revoke connect, temporary on database {core_banking} from public",
            f"grant connect on database {core_banking} to {CORE_BANKING_READER}",
        ]
    return [Step("postgres", statement) for statement in steps]


def _core_banking_steps(settings: Settings) -> list[Step]:
    owner = settings.core_banking_owner
    statements = [
        "revoke create on schema public from public",
        f"grant usage on schema public to {CORE_BANKING_READER}",
        f"grant select on all tables in schema public to {CORE_BANKING_READER}",
        # The source system recreates its tables; new ones stay readable.
        f"alter default privileges for role {owner} in schema public"
        f" grant select on tables to {CORE_BANKING_READER}",
    ]
    return [Step(settings.core_banking_database, statement) for statement in statements]


META_DDL = """
create schema if not exists warehouse_meta;
create table if not exists warehouse_meta.publications (
    publication_id bigint generated always as identity primary key,
    logical_date date not null,
    published_at timestamptz not null default now(),
    table_row_counts jsonb not null
);
-- Which engine built what was published (docs/SCALE.md, "Apache Spark").
alter table warehouse_meta.publications
    add column if not exists engine text not null default 'postgres';
create table if not exists warehouse_meta.quality_checks (
    checked_at timestamptz not null default now(),
    logical_date date not null,
    stage text not null,
    success boolean not null,
    expectations_evaluated integer not null,
    expectations_failed integer not null,
    failures text[] not null
)"""


RECORD_PUBLICATION = "warehouse_meta.record_publication(date, jsonb, text)"


def _warehouse_steps(settings: Settings) -> list[Step]:
    raw = ", ".join(RAW_SCHEMAS)
    statements = ["revoke create on schema public from public"]
    statements += [
        f"create schema if not exists {schema} authorization {LOADER}" for schema in RAW_SCHEMAS
    ]
    statements += [
        f"grant usage on schema {raw} to {TRANSFORMER}",
        f"grant select on all tables in schema {raw} to {TRANSFORMER}",
        f"alter default privileges for role {LOADER} in schema {raw}"
        f" grant select on tables to {TRANSFORMER}",
        *META_DDL.split(";\n"),
        IDENTITY_KEY_DDL,
        "revoke all on schema warehouse_meta from public",
        f"grant usage on schema warehouse_meta to {TRANSFORMER}, {PUBLISHER}",
        f"grant select, insert on warehouse_meta.quality_checks to {TRANSFORMER}",
        f"grant select on warehouse_meta.identity_hash_key to {TRANSFORMER}",
        f"grant select on warehouse_meta.publications to {TRANSFORMER}, {PUBLISHER}",
        f"grant insert on warehouse_meta.publications to {MARTS_OWNER}",
        _function_sql("publish_marts.sql"),
        f"alter function warehouse_meta.publish_marts(date) owner to {MARTS_OWNER}",
        "revoke all on function warehouse_meta.publish_marts(date) from public",
        f"grant execute on function warehouse_meta.publish_marts(date) to {PUBLISHER}",
        _function_sql("record_publication.sql"),
        f"alter function {RECORD_PUBLICATION} owner to {MARTS_OWNER}",
        f"revoke all on function {RECORD_PUBLICATION} from public",
        f"grant execute on function {RECORD_PUBLICATION} to {PUBLISHER}",
        _function_sql("prepare_marts_build.sql"),
        f"alter function warehouse_meta.prepare_marts_build(text[]) owner to {MARTS_OWNER}",
        "revoke all on function warehouse_meta.prepare_marts_build(text[]) from public",
        f"grant execute on function warehouse_meta.prepare_marts_build(text[]) to {TRANSFORMER}",
    ]
    return [Step(settings.warehouse_database, statement) for statement in statements]


def _function_sql(file_name: str) -> str:
    template = (Path(__file__).parent / "sql" / file_name).read_text()
    return template.replace("{transformer}", TRANSFORMER).replace(
        "{marts_build}", marts_build_schema()
    )


def setup_steps(settings: Settings) -> list[Step]:
    return [*_server_steps(settings), *_core_banking_steps(settings), *_warehouse_steps(settings)]


def setup_script(settings: Settings) -> str:
    """The setup as a psql script, for a DBA to review and run as a superuser."""
    lines = [
        "-- Customer value warehouse: roles and privileges. Run as a superuser with psql,",
        "-- then give each login role a password (\\password <role>) and put the",
        "-- passwords in the Airflow connections or the PGPASSFILE of each component.",
    ]
    database = None
    for step in setup_steps(settings):
        if step.database != database:
            lines.append(f"\\connect {step.database}")
            database = step.database
        lines.append(step.statement.strip().rstrip(";") + ";")
    return "\n".join(lines) + "\n"


def _adopt_existing_objects(conn: psycopg.Connection) -> None:
    """Hand schemas created before the roles existed to the role that now owns them."""
    owners = {schema: LOADER for schema in RAW_SCHEMAS}
    owners |= {schema: TRANSFORMER for schema in (*TRANSFORMER_SCHEMAS, marts_build_schema())}
    owners |= {schema: MARTS_OWNER for schema in PUBLISHED_SCHEMAS}
    rows = conn.execute(
        "select n.nspname, c.relname, c.relkind from pg_namespace n"
        " left join pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'v', 'm', 'p')"
        " where n.nspname = any(%s) and pg_get_userbyid(n.nspowner) = current_user",
        (list(owners),),
    ).fetchall()
    for schema in sorted({row[0] for row in rows}):
        owner = sql.Identifier(owners[schema])
        conn.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), owner))
    for schema, name, kind in rows:
        if name is None:
            continue
        keyword = {"v": "view", "m": "materialized view"}.get(kind, "table")
        conn.execute(
            sql.SQL("alter {} {} owner to {}").format(
                sql.SQL(keyword), sql.Identifier(schema, name), sql.Identifier(owners[schema])
            )
        )


def bootstrap(settings: Settings) -> None:
    """Create the roles and grants as the administrator of ``WAREHOUSE_URL``, with
    generated passwords in the state directory's passfile (``write_passfile``)."""
    connections: dict[str, psycopg.Connection] = {}
    try:
        for step in setup_steps(settings):
            if step.database not in connections:
                url = sibling_database_url(settings.warehouse_url, step.database)
                connections[step.database] = psycopg.connect(url, autocommit=True)
            connections[step.database].execute(step.statement)
        admin = connections["postgres"]
        for role in login_roles(settings):
            admin.execute(
                sql.SQL("alter role {} password {}").format(
                    sql.Identifier(role), sql.Literal(password(settings, role))
                )
            )
        warehouse = connections[settings.warehouse_database]
        _adopt_existing_objects(warehouse)
        install_identity_key(warehouse, secret(settings.state_dir, "identity_hash_key"))
    finally:
        for conn in connections.values():
            conn.close()


def url_with_password(settings: Settings, role: str) -> str:
    """A role's URL with its password in it, for a BI tool; printed only on request."""
    parts = urlsplit(settings.warehouse_url)
    secret_part = quote(password(settings, role), safe="")
    netloc = f"{role}:{secret_part}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def password(settings: Settings, role: str) -> str:
    return secret(settings.state_dir, f"pg_{role}")


def write_passfile(settings: Settings) -> Path:
    """The libpq password file every component reads its password from (0600)."""
    server = urlsplit(settings.warehouse_url)
    address = f"{server.hostname or '127.0.0.1'}:{server.port or 5432}"
    roles = (*(("postgres",) if settings.embedded else ()), *login_roles(settings))
    lines = [f"{address}:*:{role}:{password(settings, role)}" for role in roles]
    path = settings.passfile
    draft = path.with_suffix(".new")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    draft.replace(path)
    return path


def missing_roles(url: str, settings: Settings) -> list[str]:
    """Configured roles the warehouse server does not know, so a run can refuse to start."""
    wanted = [*login_roles(settings), MARTS_OWNER]
    with psycopg.connect(url) as conn:
        rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", (wanted,))
        known = {row[0] for row in rows}
    return [role for role in wanted if role not in known]
