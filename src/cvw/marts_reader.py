"""Reading the published marts on either engine, for the finance pack and the summary.

A reader is a function from a query (psycopg's ``%(name)s`` parameters) and its
parameters to the rows as dicts. The queries are plain SQL that PostgreSQL and
Spark both run as they are; on Spark the parameters become named markers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from psycopg.rows import dict_row

if TYPE_CHECKING:
    import psycopg
    from pyspark.sql import SparkSession

Fetch = Callable[[str, dict[str, Any]], list[dict[str, Any]]]

_PSYCOPG_PARAMETER = re.compile(r"%\((\w+)\)s")


def postgres_fetch(conn: psycopg.Connection) -> Fetch:
    def fetch(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(query, params).fetchall()

    return fetch


def spark_fetch(spark: SparkSession) -> Fetch:
    def fetch(query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        spark_query = _PSYCOPG_PARAMETER.sub(r":\1", query)
        return [row.asDict() for row in spark.sql(spark_query, args=params).collect()]

    return fetch
