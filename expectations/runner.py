"""Run a gate's checks: aggregate them in the warehouse, validate the aggregates with GX.

Each check's expectations are measured by one aggregate query over its rows (see
``expectations.aggregates``), so the warehouse scans each table once and only one
row of numbers per table comes back. Great Expectations validates those numbers:
all checks of one gate share one in-memory data frame and run in one checkpoint of
an ephemeral context, so nothing is written to disk and concurrent runs cannot step
on each other's stored suites. Building the same checks again into a context
replaces them instead of failing.

Great Expectations is imported inside the functions: DAG files import this
package at parse time, and importing GX costs seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from expectations.aggregates import SAMPLE_VALUES, Aggregate, Measure, aggregate, samples
from expectations.report import ValidationReport

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.checkpoint.checkpoint import CheckpointResult
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations import Expectation

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
    context: AbstractDataContext, name: str, aggregates: Sequence[Aggregate]
) -> gx.Checkpoint:
    """Get or create the data frame asset, one suite and validation per check, one checkpoint.

    The checkpoint validates the aggregate row passed as batch parameter ``dataframe``.
    """
    import great_expectations as gx

    datasource = context.data_sources.add_or_update_pandas(DATASOURCE_NAME)
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
    """Measure every check in the warehouse, validate in one checkpoint run, summarise."""
    aggregates = [aggregate(check.name, check.query, check.expectations) for check in checks]
    with psycopg.connect(libpq_url(warehouse_url), autocommit=True) as conn:
        row: dict[str, int] = {}
        # A check whose query fails (a missing table or column) fails every expectation.
        errors: dict[str, str] = {}
        for check in aggregates:
            try:
                row |= check.measure(conn)
            except psycopg.OperationalError:
                # A lost connection, a lock or statement timeout says nothing about the
                # data: it fails the task as an error that a retry may clear.
                raise
            except psycopg.Error as exc:
                errors[check.name] = f"error: {_first_line(exc)}"
        measured = [check for check in aggregates if check.name not in errors]
        # With nothing measured there is nothing for GX to validate; the errors fail the gate.
        gx_success, gx_failures, evaluated = (
            _validate(name, measured, row) if measured else (True, {}, 0)
        )
        failed = []
        for check in aggregates:
            for measure in check.measures:
                if check.name in errors:
                    failed.append(failure_line(check.name, measure, errors[check.name]))
                elif measure.column in gx_failures:
                    observed = gx_failures[measure.column] or _observed(conn, check, measure, row)
                    failed.append(failure_line(check.name, measure, observed))
    evaluated += sum(len(check.measures) for check in aggregates if check.name in errors)
    return ValidationReport(success=gx_success and not failed, evaluated=evaluated, failed=failed)


def _validate(
    name: str, aggregates: Sequence[Aggregate], row: dict[str, int]
) -> tuple[bool, dict[str, str | None], int]:
    """GX's verdict, the failed aggregate columns (with GX's error, if any) and the count run."""
    import pandas as pd

    checkpoint = build_checkpoint(ephemeral_context(), name, aggregates)
    result: CheckpointResult = checkpoint.run(batch_parameters={"dataframe": pd.DataFrame([row])})
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


def _observed(
    conn: psycopg.Connection, check: Aggregate, measure: Measure, row: dict[str, Any]
) -> str:
    value = row[measure.column]
    if not measure.per_row:
        return str(value)
    counts = f"{value} of {row[check.row_count]} rows"
    sample = samples(conn, measure)
    if not sample:
        return counts
    return f"{counts}, e.g. {', '.join(str(value) for value in sample[:SAMPLE_VALUES])}"


def _first_line(exc: psycopg.Error) -> str:
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
