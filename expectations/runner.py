"""Run a gate's checks: aggregate them in the warehouse, validate the aggregates with GX.

Each check's expectations are measured by one aggregate query over its rows (see
``expectations.aggregates``), so the warehouse scans each table once and only one
row of numbers per table comes back. Great Expectations validates those numbers:
all checks of one gate share one in-memory data frame and run in one checkpoint of
an ephemeral context, so nothing is written to disk and concurrent runs cannot step
on each other's stored suites. Building the same checks again into a context
replaces them instead of failing.

The warehouse is PostgreSQL (``run_checks``: one psycopg connection, the row in a
pandas data frame) or a Spark session's catalog (``run_spark_checks``: ``spark.sql``,
the row in a one-row Spark data frame of GX's Spark data source). A query that
fails on its own or the data's account (a missing table or column, a value a cast
rejects) fails its check; trouble with the connection, session or metastore fails
the task.

Great Expectations and pyspark are imported inside the functions: DAG files
import this package at parse time, and importing either costs seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg

from expectations.aggregates import SAMPLE_VALUES, Aggregate, Measure, Warehouse, aggregate, samples
from expectations.dialect import POSTGRES, SPARK, Dialect
from expectations.report import ValidationReport

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.checkpoint.checkpoint import CheckpointResult
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import Datasource
    from great_expectations.expectations import Expectation
    from pyspark.sql import DataFrame, SparkSession

DATASOURCE_NAME = "aggregates"
BATCH_DEFINITION_NAME = "aggregate_row"


@dataclass(frozen=True)
class Check:
    """Expectations over the rows one SQL query returns; ``name`` labels its failures."""

    name: str
    query: str
    expectations: Sequence[Expectation]


def libpq_url(url: str) -> str:
    """The URL psycopg accepts: libpq knows no SQLAlchemy driver suffix."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


class Engine(Warehouse, Protocol):
    """A warehouse the gates run on: its query errors and its GX data source."""

    def fails_check(self, error: Exception) -> bool:
        """Whether a query's error fails its check rather than the gate's task."""
        ...

    def add_datasource(self, context: AbstractDataContext) -> Datasource:
        """Get or create the GX data source whose data frame assets hold aggregate rows."""
        ...

    def frame(self, row: dict[str, int]) -> Any:
        """The aggregate row as a one-row data frame of that data source."""
        ...


@dataclass(frozen=True)
class PostgresWarehouse:
    """PostgreSQL through one psycopg connection; GX validates the row with pandas."""

    conn: psycopg.Connection

    @property
    def dialect(self) -> Dialect:
        return POSTGRES

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(query).fetchall()

    def fails_check(self, error: Exception) -> bool:
        # A lost connection, a lock or statement timeout says nothing about the data:
        # it fails the task as an error that a retry may clear.
        return isinstance(error, psycopg.Error) and not isinstance(error, psycopg.OperationalError)

    def add_datasource(self, context: AbstractDataContext) -> Datasource:
        return context.data_sources.add_or_update_pandas(DATASOURCE_NAME)

    def frame(self, row: dict[str, int]) -> Any:
        import pandas as pd

        return pd.DataFrame([row])


@contextmanager
def postgres_warehouse(warehouse_url: str) -> Iterator[PostgresWarehouse]:
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        yield PostgresWarehouse(conn)


@dataclass(frozen=True)
class SparkWarehouse:
    """A Spark session's catalog; GX validates the row with its Spark data source."""

    spark: SparkSession

    @property
    def dialect(self) -> Dialect:
        return SPARK

    def fetch(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(query).collect()]

    def fails_check(self, error: Exception) -> bool:
        # SQLSTATE class 42 (a missing table or column, SQL Spark cannot parse) and
        # class 22 (a value a cast or division rejects) are the query's or the data's
        # doing, as a psycopg error is on PostgreSQL. A metastore that fails (an
        # AnalysisException too, but with no SQLSTATE), a lost executor or a stopped
        # session is the task's error, which a retry may clear.
        from pyspark.errors import PySparkException

        return isinstance(error, PySparkException) and (error.getSqlState() or "")[:2] in {
            "22",
            "42",
        }

    def add_datasource(self, context: AbstractDataContext) -> Datasource:
        # Without a spark_config GX takes the session that is active (this one)
        # and leaves its configuration alone.
        return context.data_sources.add_or_update_spark(DATASOURCE_NAME)

    def frame(self, row: dict[str, int]) -> DataFrame:
        from pyspark.sql.types import LongType, StructField, StructType

        # Every aggregate is a count (a bigint); the schema is given, not inferred.
        schema = StructType([StructField(name, LongType(), nullable=False) for name in row])
        return self.spark.createDataFrame([tuple(row.values())], schema)


def ephemeral_context() -> AbstractDataContext:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        # Progress bars would write hundreds of carriage-return lines into task logs.
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def build_checkpoint(
    context: AbstractDataContext, engine: Engine, name: str, aggregates: Sequence[Aggregate]
) -> gx.Checkpoint:
    """Get or create the data frame asset, one suite and validation per check, one checkpoint.

    The checkpoint validates the aggregate row passed as batch parameter ``dataframe``.
    """
    import great_expectations as gx

    datasource = engine.add_datasource(context)
    if name in datasource.get_asset_names():
        datasource.delete_asset(name)
    batch_definition = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe(
        BATCH_DEFINITION_NAME
    )
    validations = []
    for check in aggregates:
        # A suite binds the expectations it is given, so each build gets its own copies.
        gates = [copy.copy(measure.gate) for measure in check.measures]
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=check.name, expectations=gates)
        )
        validations.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=check.name, data=batch_definition, suite=suite)
            )
        )
    # The numbers themselves are in the aggregate row: GX only has to say pass or fail.
    return context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=validations, result_format="BOOLEAN_ONLY")
    )


def run_checks(warehouse_url: str, name: str, checks: Sequence[Check]) -> ValidationReport:
    """Run the checks on the PostgreSQL warehouse at ``warehouse_url``."""
    with postgres_warehouse(warehouse_url) as warehouse:
        return validate_checks(warehouse, name, checks)


def run_spark_checks(spark: SparkSession, name: str, checks: Sequence[Check]) -> ValidationReport:
    """Run the checks on the tables of ``spark``'s catalog."""
    return validate_checks(SparkWarehouse(spark), name, checks)


def validate_checks(engine: Engine, name: str, checks: Sequence[Check]) -> ValidationReport:
    """Measure every check in the warehouse, validate in one checkpoint run, summarise."""
    aggregates = [
        aggregate(check.name, check.query, check.expectations, engine.dialect) for check in checks
    ]
    row: dict[str, int] = {}
    # A check whose query fails (a missing table or column) fails every expectation.
    errors: dict[str, str] = {}
    for check in aggregates:
        try:
            row |= check.measure(engine)
        except Exception as exc:
            if not engine.fails_check(exc):
                raise
            errors[check.name] = f"error: {_first_line(exc)}"
    measured = [check for check in aggregates if check.name not in errors]
    # With nothing measured there is nothing for GX to validate; the errors fail the gate.
    gx_success, gx_failures, evaluated = (
        _validate(engine, name, measured, row) if measured else (True, {}, 0)
    )
    failed = []
    for check in aggregates:
        for measure in check.measures:
            if check.name in errors:
                failed.append(failure_line(check.name, measure, errors[check.name]))
            elif measure.column in gx_failures:
                observed = gx_failures[measure.column] or _observed(engine, check, measure, row)
                failed.append(failure_line(check.name, measure, observed))
    evaluated += sum(len(check.measures) for check in aggregates if check.name in errors)
    return ValidationReport(success=gx_success and not failed, evaluated=evaluated, failed=failed)


def _validate(
    engine: Engine, name: str, aggregates: Sequence[Aggregate], row: dict[str, int]
) -> tuple[bool, dict[str, str | None], int]:
    """GX's verdict, the failed aggregate columns (with GX's error, if any) and the count run."""
    checkpoint = build_checkpoint(ephemeral_context(), engine, name, aggregates)
    result: CheckpointResult = checkpoint.run(batch_parameters={"dataframe": engine.frame(row)})
    failures: dict[str, str | None] = {}
    evaluated = 0
    for suite_result in result.run_results.values():
        evaluated += suite_result.statistics["evaluated_expectations"]
        for expectation_result in suite_result.results:
            if not expectation_result.success:
                column = expectation_result.expectation_config.kwargs["column"]
                error = _exception_message(expectation_result.exception_info)
                failures[column] = f"error: {error}" if error else None
    return result.success, failures, evaluated


def failure_line(table: str, measure: Measure, observed: str) -> str:
    """``table: expectation_type arguments -> observed`` for one failed expectation."""
    config = measure.expectation.configuration
    if config.description:
        arguments = config.description
    else:
        arguments = " ".join(f"{key}={value}" for key, value in config.kwargs.items())
    return f"{table}: {config.type} {arguments} -> {observed}"


def _observed(engine: Engine, check: Aggregate, measure: Measure, row: dict[str, Any]) -> str:
    value = row[measure.column]
    if not measure.per_row:
        return str(value)
    counts = f"{value} of {row[check.row_count]} rows"
    sample = samples(engine, measure)
    if not sample:
        return counts
    return f"{counts}, e.g. {', '.join(str(value) for value in sample[:SAMPLE_VALUES])}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """The first error message, whether GX reports it flat or keyed by metric."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for nested in info.values():
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return str(nested.get("exception_message"))
    return None
