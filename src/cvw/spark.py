"""Spark steps of the nightly run, each in a process of its own.

On the Spark engine (``CVW_ENGINE=spark``) the raw gate, the marts gate and the
publish read the Spark catalog. In local mode that catalog is a Derby
metastore, which admits one process at a time, and dbt's build opens it in its
own process between these steps. So each step starts a Python process of its
own (``python -m cvw.spark <step>``), opens a local session there, and ends
it with the process: an Airflow task, or ``airflow dags test`` running every
task in one process, never holds the metastore while dbt needs it. The step's
result comes back as one JSON line on stdout.

On a cluster the steps would connect to its Thrift server or Spark Connect
instead (docs/SCALE.md, "Apache Spark"); the one-process rule is local mode's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from cvw.config import Settings, load_settings, spark_conf
from cvw.roles import PUBLISHER

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from expectations import ValidationReport

# A step's process is bounded by its task's own timeout; this bounds a step run
# outside Airflow (the CLI, the tests) the same way, so nothing can hang.
STEP_TIMEOUT_S = 3600
PUBLISHER_URL_VARIABLE = "CVW_PUBLISHER_URL"


@contextmanager
def local_session(settings: Settings) -> Iterator[SparkSession]:
    """A local Spark session on this installation's catalog; its JVM ended on exit.

    Stopping the session alone keeps the JVM, and with it the Derby metastore
    open: the JVM is shut down too, so the same process (a test session) can
    hand the catalog to dbt or open another one afterwards.
    """
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[*]").appName("customer-value-warehouse")
    for key, value in spark_conf(settings).items():
        builder = builder.config(key, value)
    spark = builder.enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        gateway = SparkContext._gateway
        spark.stop()
        if gateway is not None:
            gateway.shutdown()
            gateway.proc.stdin.close()
            gateway.proc.wait(timeout=60)
        SparkContext._gateway = None
        SparkContext._jvm = None


def run_step(step: str, logical_date: date, publisher_url: str | None = None) -> dict[str, Any]:
    """Run one Spark step in a process of its own and return its JSON result.

    The publisher's URL reaches the publish step in its environment, never on
    its command line, where any user of the machine could read it.
    """
    env = dict(os.environ)
    if publisher_url is not None:
        env[PUBLISHER_URL_VARIABLE] = publisher_url
    completed = subprocess.run(
        [sys.executable, "-m", "cvw.spark", step, "--date", logical_date.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        error = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"Spark step {step} for {logical_date} failed: {error[0]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def report_of(result: dict[str, Any]) -> ValidationReport:
    from expectations import ValidationReport

    return ValidationReport(
        success=bool(result["success"]),
        evaluated=int(result["evaluated"]),
        failed=[str(line) for line in result["failed"]],
    )


def _validate_raw(spark: SparkSession, settings: Settings, logical_date: date) -> dict[str, Any]:
    from expectations import validate_raw_landings_on_spark

    return asdict(validate_raw_landings_on_spark(spark, logical_date))


def _validate_marts(spark: SparkSession, settings: Settings, logical_date: date) -> dict[str, Any]:
    from expectations import validate_marts_on_spark

    return asdict(validate_marts_on_spark(spark))


def _publish(spark: SparkSession, settings: Settings, logical_date: date) -> dict[str, Any]:
    from cvw.publish_spark import publish_marts_on_spark

    publisher_url = os.environ.get(PUBLISHER_URL_VARIABLE) or settings.component_url(PUBLISHER)
    publication = publish_marts_on_spark(spark, publisher_url, logical_date)
    return {"publication_id": publication.publication_id, "tables": publication.table_row_counts}


def _finance_pack(spark: SparkSession, settings: Settings, logical_date: date) -> dict[str, Any]:
    from cvw.finance_pack import write_finance_pack_on_spark

    path = write_finance_pack_on_spark(
        spark, settings.finance_pack_path(logical_date), logical_date
    )
    return {"path": str(path)}


def _headlines(spark: SparkSession, settings: Settings, logical_date: date) -> dict[str, Any]:
    from cvw.marts_reader import spark_fetch
    from cvw.summary import portfolio_headlines

    return {"lines": portfolio_headlines(spark_fetch(spark))}


STEPS = {
    "validate-raw": _validate_raw,
    "validate-marts": _validate_marts,
    "publish": _publish,
    "finance-pack": _finance_pack,
    "headlines": _headlines,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvw.spark", description=__doc__)
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--date", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.step == "validate-raw":
        # The gate runs before the night's build, whose on-run-start hook would
        # otherwise be the first to register the landings' new partitions; the
        # hook's macro does it here, in dbt's own process, before this one
        # opens the catalog.
        from cvw.runner import dbt_run_operation

        dbt_run_operation(settings, "register_raw_landings")
    with local_session(settings) as spark:
        result = STEPS[args.step](spark, settings, args.date)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
