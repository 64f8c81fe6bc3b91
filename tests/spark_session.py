"""A local Spark session for tests, its catalog in a folder of the test process's own.

The warehouse and the Derby metastore live in ``<state dir>/spark/pytest-<pid>``:
a Derby metastore admits one Spark process per folder, so two test runs never
share one, and the folder is removed with the session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from cvw.config import Settings
from cvw.spark import local_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@contextmanager
def local_spark_session(settings: Settings) -> Iterator[SparkSession]:
    """The product's local session (cvw.spark) on a catalog of this test process's own."""
    root = settings.spark_dir / f"pytest-{os.getpid()}"
    try:
        with local_session(replace(settings, state_dir=root)) as spark:
            yield spark
    finally:
        shutil.rmtree(root, ignore_errors=True)
