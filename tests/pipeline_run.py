"""The one small pipeline run the integration and dashboard tests share (``first_run``).

The run generates a small data set, serves the CRM API, and runs the nightly DAG
once through ``airflow dags test`` on the test server. Modules that change
source data must restore it, so later modules see the same published marts. The
fixture itself lives in ``tests/conftest.py`` so that every folder shares one run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import psycopg

from cvw import runner
from cvw.access import TRANSFORMER_SCHEMAS, bootstrap
from cvw.config import Settings, sibling_database_url
from cvw.dbt_vars import marts_build_schema
from cvw_sources.crm_api_process import serving
from cvw_sources.generate import GeneratorParams, generate

PARAMS = GeneratorParams(seed=7, customers=150, months=3, as_of=date(2026, 10, 31))
MOMENT = datetime(2026, 11, 1, 6, tzinfo=UTC)


def _recreate_database(admin_url: str, name: str, template: str | None = None) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        if template is None:
            conn.execute(f'create database "{name}"')
            return
        # PostgreSQL copies a database only while no one else is connected to it.
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (template,),
        )
        conn.execute(f'create database "{name}" template "{template}"')


def fresh_warehouse(
    test_settings: Settings, admin_url: str, name: str, *, copy_of_shared_run: bool = False
) -> Settings:
    """Settings for a warehouse database ``name`` beside the shared run's: new and
    empty, or a copy of the shared run's warehouse as it stands with nothing dbt
    built: its landings and extract watermarks, so a later night extracts only
    what is new, and a build starts as in a new warehouse."""
    template = test_settings.warehouse_database if copy_of_shared_run else None
    _recreate_database(admin_url, name, template)
    settings = replace(
        test_settings, warehouse_url=sibling_database_url(test_settings.warehouse_url, name)
    )
    if copy_of_shared_run:
        # Earlier tests leave the shared warehouse with builds that never published.
        built = ", ".join((*TRANSFORMER_SCHEMAS, marts_build_schema()))
        with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
            conn.execute(f"drop schema if exists {built} cascade")
    bootstrap(settings)
    return settings


def run_once(test_settings: Settings, pg_admin_url: str) -> Iterator[runner.DagRunResult]:
    _recreate_database(pg_admin_url, "warehouse")
    bootstrap(test_settings)
    generate(
        PARAMS,
        core_banking_url=test_settings.core_banking_url,
        erp_export_dir=test_settings.erp_export_dir,
        crm_db_path=test_settings.crm_db_path,
        truth_dir=test_settings.truth_dir,
    )
    with serving(test_settings):
        runner.dbt_parse(test_settings)
        runner.airflow_db_migrate(test_settings)
        result = runner.run_dag(test_settings, MOMENT, progress=lambda _: None)
    yield result
