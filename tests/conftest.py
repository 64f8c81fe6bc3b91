"""Shared fixtures: a real PostgreSQL for every test that needs one.

Tests run against their own embedded server (own data directory and port), so a
running demo is never touched. Each test that needs a database gets a fresh,
uniquely named one and drops it afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CVW_STATE_DIR", str(PROJECT_ROOT / ".state" / "test"))
os.environ.setdefault("CVW_PG_PORT", "25433")
os.environ.setdefault("CVW_CRM_PORT", "28091")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from cvw.config import Settings, load_settings, sibling_database_url  # noqa: E402
from cvw_demo import embedded_pg  # noqa: E402
from tests.spark_session import local_spark_session  # noqa: E402


@pytest.fixture(scope="session")
def test_settings() -> Iterator[Settings]:
    settings = load_settings()
    started_here = False
    if settings.embedded and not embedded_pg.is_running(settings):
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        embedded_pg.start(settings)
        started_here = True
    yield settings
    if started_here:
        embedded_pg.stop(settings)


@pytest.fixture(scope="session")
def pg_admin_url(test_settings: Settings) -> str:
    """URL of the server's maintenance database, for creating test databases."""
    if test_settings.embedded:
        return embedded_pg.server_url(test_settings)
    return sibling_database_url(test_settings.warehouse_url, "postgres")


@pytest.fixture
def scratch_database(pg_admin_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh empty database named after the test; its URL."""
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    yield sibling_database_url(pg_admin_url, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def first_run(test_settings: Settings, pg_admin_url: str):
    """One small pipeline run for the whole session (tests/pipeline_run.py).

    Defined here, above every test folder, so the integration and dashboard tests
    share it instead of each folder starting its own run.
    """
    # Imported here: the unit tests need neither Airflow nor the generator.
    from tests.pipeline_run import run_once

    yield from run_once(test_settings, pg_admin_url)


@pytest.fixture(scope="module")
def spark(test_settings: Settings):
    """One local Spark session per test module (tests/spark_session.py).

    Starting one takes about 15 s and a JVM of its own, so a module's tests share
    it; a test names its own databases and drops what it must start without.
    Its JVM ends with the module, so a later module can open another catalog.
    """
    if shutil.which("java") is None:
        pytest.skip("java is missing: apt-get install openjdk-17-jre-headless")
    with local_spark_session(test_settings) as session:
        yield session
