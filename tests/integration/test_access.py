"""Who can log in and what each component role can read or change, after a real run.

Every check logs in as the role itself, with the password the installation
generated (read by libpq from the passfile), the way the component does.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest
from psycopg import errors

from cvw.access import missing_roles
from cvw.config import Settings, with_user
from cvw.roles import LOADER, PUBLISHER, TRANSFORMER
from cvw.runner import DagRunResult

pytestmark = pytest.mark.integration

# One table of each layer the BI reader must not reach.
RESTRICTED_TABLES = (
    "raw_core_banking.customers",
    "raw_meta.load_batches",
    "staging.stg_core_banking__customers",
    "intermediate.int_customer_identities_normalized",
    "snapshots.customer_attributes_snapshot",
    "warehouse_meta.publications",
    "warehouse_meta.identity_hash_key",
)


@pytest.fixture(scope="module")
def published(first_run: DagRunResult) -> None:
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"


def _as(settings: Settings, role: str) -> psycopg.Connection:
    return psycopg.connect(with_user(settings.warehouse_url, role), autocommit=True)


@pytest.mark.parametrize("table", RESTRICTED_TABLES)
def test_the_bi_reader_cannot_read_outside_the_published_marts(published, test_settings, table):
    with _as(test_settings, test_settings.marts_reader_role) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(f"select 1 from {table} limit 1")


def test_the_bi_reader_reads_the_marts_and_changes_nothing(published, test_settings):
    with _as(test_settings, test_settings.marts_reader_role) as conn:
        assert conn.execute("select count(*) from marts.dim_branch").fetchone()[0] > 0
        for statement in (
            "delete from marts.dim_branch",
            "update marts.dim_branch set branch_id = branch_id",
            "create table marts.scratch (x int)",
            "create schema scratch",
            "create temporary table scratch (x int)",
            "drop table marts.dim_branch",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)


def test_the_transformer_cannot_touch_the_published_marts(published, test_settings):
    with _as(test_settings, TRANSFORMER) as conn:
        for statement in ("select 1 from marts.dim_branch", "delete from marts.dim_branch"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("alter schema marts rename to hijacked")


def test_the_loader_writes_the_landings_only(published, test_settings):
    with _as(test_settings, LOADER) as conn:
        assert conn.execute("select count(*) from raw_meta.load_batches").fetchone()[0] > 0
        for statement in (
            "select 1 from staging.stg_core_banking__customers",
            "select 1 from marts.dim_branch",
            "create schema scratch",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)


def test_the_publisher_can_only_publish(published, test_settings):
    with _as(test_settings, PUBLISHER) as conn:
        for statement in (
            "select 1 from marts.dim_branch",
            "select 1 from raw_core_banking.customers",
            "create schema scratch",
            "alter schema marts rename to hijacked",
            "insert into warehouse_meta.publications (logical_date, table_row_counts)"
            " values (current_date, '{}')",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)


@pytest.mark.parametrize("role", ["postgres", "cvw_bi_reader", "cvw_loader"])
def test_no_login_without_the_password(published, test_settings, role, tmp_path):
    empty_passfile = tmp_path / "pgpass"
    empty_passfile.write_text("")
    empty_passfile.chmod(0o600)
    url = with_user(test_settings.warehouse_url, role).split("?", 1)[0]
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"{url}?passfile={empty_passfile}", connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url.replace(f"{role}@", f"{role}:wrong@"), connect_timeout=5)


def test_a_new_role_cannot_connect_or_create(published, test_settings, pg_admin_url):
    """PUBLIC lost CONNECT: a role nobody granted anything reaches no database."""
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute("drop role if exists cvw_test_stranger")
        admin.execute("create role cvw_test_stranger login password 'stranger-password'")
    try:
        for database in ("warehouse", "core_banking", "postgres"):
            url = with_user(test_settings.warehouse_url, "cvw_test_stranger", database)
            url = url.split("?", 1)[0].replace("@", ":stranger-password@")
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(url, connect_timeout=5)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute("drop role cvw_test_stranger")


def test_the_server_trusts_nobody(test_settings):
    if not test_settings.embedded:
        pytest.skip("a team's own server keeps its own pg_hba.conf")
    hba = [
        line.split()
        for line in (test_settings.pgdata / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert hba, "pg_hba.conf has no rule"
    assert {rule[-1] for rule in hba} == {"scram-sha-256"}
    assert all(rule[1] != "replication" for rule in hba)


def test_files_with_personal_data_are_private(published, test_settings):
    """Source exports, the CRM store, truth files, logs, secrets: owner only.

    Folders may let others pass (x) where the database server's own user must
    reach its data directory, never list or read them.
    """
    exposed = []
    for path in test_settings.state_dir.rglob("*"):
        if path.is_symlink() or test_settings.pgdata in (path, *path.parents):
            continue
        mode = path.stat().st_mode
        if (path.is_dir() and mode & 0o066) or (path.is_file() and mode & 0o077):
            exposed.append(f"{oct(mode & 0o777)} {path.relative_to(test_settings.state_dir)}")
    assert not exposed, "\n".join(exposed[:20])


def test_a_missing_reader_role_is_named_before_a_run(published, test_settings):
    settings = replace(test_settings, marts_reader_role="cvw_no_such_reader")
    url = with_user(test_settings.warehouse_url, TRANSFORMER)
    assert missing_roles(url, settings) == ["cvw_no_such_reader"]
    assert missing_roles(url, test_settings) == []
