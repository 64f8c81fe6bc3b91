"""Build Great Expectations objects for a set of checks, run them, and summarise.

Every call works in an in-memory (ephemeral) context, so nothing is written to
disk and concurrent runs cannot step on each other's stored suites. All checks
of one gate share one data source and run in one checkpoint. Building the same
checks again into a context replaces them instead of failing.

Great Expectations is imported inside the functions: DAG files import this
package at parse time, and importing GX costs seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from expectations.report import ValidationReport

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations import Expectation

DATASOURCE_NAME = "warehouse"
BATCH_DEFINITION_NAME = "whole_batch"
# Offending values quoted per failure line; the full list is a query away.
SAMPLE_VALUES = 3


@dataclass(frozen=True)
class Check:
    """Expectations over the rows one SQL query returns; ``name`` labels its failures."""

    name: str
    query: str
    expectations: Sequence[Expectation]


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver named, which is the only one installed."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(scheme="postgresql+psycopg"))
    return url


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
    context: AbstractDataContext, warehouse_url: str, name: str, checks: Sequence[Check]
) -> gx.Checkpoint:
    """Get or create the data source, assets, suites and validations, and one checkpoint."""
    import great_expectations as gx

    datasource = context.data_sources.add_or_update_postgres(
        DATASOURCE_NAME, connection_string=sqlalchemy_url(warehouse_url)
    )
    validations = []
    for check in checks:
        if check.name in datasource.get_asset_names():
            # A query asset cannot be edited in place, and the query changes per logical date.
            datasource.delete_asset(check.name)
        asset = datasource.add_query_asset(check.name, query=check.query)
        batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
        # A suite binds the expectations it is given, so each build gets its own copies.
        expectations = [copy.copy(expectation) for expectation in check.expectations]
        suite = context.suites.add_or_update(
            gx.ExpectationSuite(name=check.name, expectations=expectations)
        )
        validations.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=check.name, data=batch_definition, suite=suite)
            )
        )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=validations)
    )


def run_checks(warehouse_url: str, name: str, checks: Sequence[Check]) -> ValidationReport:
    """Validate every check in one checkpoint run and summarise the outcome."""
    context = ephemeral_context()
    checkpoint = build_checkpoint(context, warehouse_url, name, checks)
    try:
        result = checkpoint.run()
    finally:
        # Release pooled connections now rather than whenever the context is collected.
        context.data_sources.get(DATASOURCE_NAME).get_engine().dispose()
    evaluated = 0
    failed = []
    for suite_result in result.run_results.values():
        evaluated += suite_result.statistics["evaluated_expectations"]
        failed += [
            failure_line(suite_result.suite_name, expectation_result)
            for expectation_result in suite_result.results
            if not expectation_result.success
        ]
    return ValidationReport(
        success=result.success and not failed, evaluated=evaluated, failed=failed
    )


def failure_line(table: str, result: ExpectationValidationResult) -> str:
    """``table: expectation_type arguments -> observed`` for one failed expectation."""
    config = result.expectation_config
    if config.description:
        arguments = config.description
    else:
        arguments = " ".join(
            f"{key}={value}" for key, value in config.kwargs.items() if key != "batch_id"
        )
    return f"{table}: {config.type} {arguments} -> {_observed(result)}"


def _observed(result: ExpectationValidationResult) -> str:
    error = _exception_message(result.exception_info)
    if error:
        return f"error: {error}"
    details: dict[str, Any] = result.result or {}
    if "observed_value" in details:
        return str(details["observed_value"])
    counts = f"{details.get('unexpected_count')} of {details.get('element_count')} rows"
    sample = [value for value in details.get("partial_unexpected_list", []) if value is not None]
    if not sample:
        return counts
    return f"{counts}, e.g. {', '.join(str(value) for value in sample[:SAMPLE_VALUES])}"


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
