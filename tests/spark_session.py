"""A local Spark session for tests: two cores, no UI, its catalog under the state dir.

The warehouse and the Derby metastore live in a folder of the test process's own
(``<state dir>/spark/pytest-<pid>``): a Derby metastore admits one Spark process
per folder, so two test runs never share one, and the folder is removed with the
session. ``spark.sql.shuffle.partitions`` is 4 instead of 200: a test's tables
hold a few rows and the machine has two cores.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@contextmanager
def local_spark_session(state_dir: Path) -> Iterator[SparkSession]:
    """A session with a Hive catalog of its own; stopped and its folder removed after."""
    from pyspark.sql import SparkSession

    root = state_dir / "spark" / f"pytest-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    metastore = root / "metastore_db"
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("cvw-tests")
        .config("spark.ui.enabled", "false")
        # Progress bars are carriage-return lines in a test's captured output.
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(root / "warehouse"))
        # Derby cannot filter partitions by a date column (Spark raises
        # INTERNAL_ERROR_HIVE_METASTORE_PARTITION_FILTER on "_logical_date = date
        # '...'"); with the fallback Spark lists the table's partitions and filters them.
        .config("spark.sql.hive.metastorePartitionPruningFallbackOnException", "true")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={metastore};create=true",
        )
        # derby.log goes to derby.system.home, not into the working directory.
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        spark.stop()
        shutil.rmtree(root, ignore_errors=True)
