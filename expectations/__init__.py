"""Data-quality gates that run before each publish.

``validate_raw_landings`` checks one logical date's raw batches against the
batch log, ``validate_marts`` checks the marts dbt built, and
``raise_for_failures`` turns a failed report into an exception so the Airflow
task fails and publish is blocked. Great Expectations is only imported when a
gate runs, so importing this package stays cheap for DAG parsing.
"""

from expectations.marts import validate_marts, validate_marts_on_spark
from expectations.raw_landings import validate_raw_landings, validate_raw_landings_on_spark
from expectations.report import DataQualityError, ValidationReport, raise_for_failures

__all__ = [
    "DataQualityError",
    "ValidationReport",
    "raise_for_failures",
    "validate_marts",
    "validate_marts_on_spark",
    "validate_raw_landings",
    "validate_raw_landings_on_spark",
]
