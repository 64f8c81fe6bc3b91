"""Data-quality gates that run before each publish.

``validate_raw_landings`` checks one logical date's raw batches against the
batch log, ``validate_marts`` checks the marts dbt built, and
``raise_for_failures`` turns a failed report into an exception so the Airflow
task fails and publish is blocked. Great Expectations is only imported when a
gate runs, so importing this package stays cheap for DAG parsing.

Both gates run on PostgreSQL (a warehouse URL) or on Spark (a ``SparkSession``):
``validate_raw_landings_on_spark(spark, logical_date)`` reads the Parquet tables
``raw_<system>.<table>`` and the batch log's copy ``raw_meta.load_batches`` from
the session's catalog, and ``validate_marts_on_spark(spark, database)`` the marts
dbt built into ``database`` (default: the dbt var ``marts_build_schema``). The
checks are defined once (``raw_landings``, ``marts``) and translated into each
engine's SQL by ``dialect``; on Spark the aggregates are measured with
``spark.sql`` and Great Expectations validates them with its Spark data source,
so the same rows give the same report on either engine.
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
