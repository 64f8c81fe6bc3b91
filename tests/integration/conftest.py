"""One small pipeline run shared by every integration test module.

The run generates a small data set, starts the CRM API, and runs the nightly DAG
once through ``airflow dags test`` on the test server. Modules that change
source data must restore it, so later modules see the same published marts.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

from cvw import runner
from cvw.config import PROJECT_ROOT
from cvw.credentials import secret
from cvw.generate import GeneratorParams, generate
from cvw.identity_key import install_identity_key

PARAMS = GeneratorParams(seed=7, customers=150, months=3, as_of=date(2026, 10, 31))
MOMENT = datetime(2026, 11, 1, 6, tzinfo=UTC)
CRM_CLI = [sys.executable, str(PROJECT_ROOT / "scripts" / "crm_api.py")]
MARTS_READER_ROLES = ("cvw_bi_reader", "cvw_pii_reader")  # provisional: access bootstrap


def _recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')


# provisional: access bootstrap
def bootstrap_access(warehouse_url: str, state_dir: Path) -> None:
    """The identity-hash key in a fresh warehouse, and the mart reader roles dbt grants to."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        install_identity_key(conn, secret(state_dir, "identity_hash_key"))
        for role in MARTS_READER_ROLES:
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if exists is None:
                conn.execute(f"create role {role} nologin")


# provisional: access bootstrap
def grant_marts_usage(warehouse_url: str) -> None:
    """Let the reader roles into the published schema (each publish brings a new `marts`)."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(f"grant usage on schema marts to {', '.join(MARTS_READER_ROLES)}")


@pytest.fixture(scope="session")
def first_run(test_settings, pg_admin_url):
    _recreate_database(pg_admin_url, "warehouse")
    # provisional: access bootstrap
    bootstrap_access(test_settings.warehouse_url, test_settings.state_dir)
    generate(
        PARAMS,
        core_banking_url=test_settings.core_banking_url,
        erp_export_dir=test_settings.erp_export_dir,
        crm_db_path=test_settings.crm_db_path,
        truth_dir=test_settings.truth_dir,
    )
    subprocess.run([*CRM_CLI, "start"], check=True)
    try:
        runner.dbt_parse(test_settings)
        runner.airflow_db_migrate(test_settings)
        run = runner.run_dag(test_settings, MOMENT, progress=lambda _: None)
        if run.succeeded:
            grant_marts_usage(test_settings.warehouse_url)  # provisional: access bootstrap
        yield run
    finally:
        subprocess.run([*CRM_CLI, "stop"], check=False)
