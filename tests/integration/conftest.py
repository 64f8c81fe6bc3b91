"""The integration tests share one pipeline run: ``first_run`` in ``tests/conftest.py``.

Its parameters stay importable from here for the modules that compare against them.
"""

import pytest

from tests.integration.spark_run import SparkNights, spark_nights
from tests.pipeline_run import MOMENT, PARAMS

__all__ = ["MOMENT", "PARAMS"]


@pytest.fixture(scope="session", name="spark_nights")
def spark_nights_fixture(first_run, test_settings, pg_admin_url) -> SparkNights:
    """Two Spark nights after the shared run (tests/integration/spark_run.py), shared by
    the parity test (night one) and the nights test (night two)."""
    assert first_run.succeeded, f"the PostgreSQL run failed: {first_run.failed_tasks()}"
    return spark_nights(test_settings, pg_admin_url)
