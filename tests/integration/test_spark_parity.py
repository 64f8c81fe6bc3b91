"""The dbt project on Apache Spark builds what it builds on PostgreSQL.

Every published mart, the staging tables and the snapshot
(spark_run.SPARK_RELATIONS) must hold the same rows on Spark's first night
(tests/integration/spark_run.py) as PostgreSQL published after the shared run:
same keys, same values, money to the cent.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import psycopg
import pytest

from tests.integration.spark_run import SPARK_RELATIONS, Relation, differences

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("relation", list(SPARK_RELATIONS))
def test_spark_relation_matches_postgres(spark_nights, relation):
    expected = spark_nights.published[relation]
    assert sum(expected.rows.values()) > 0, f"{relation} is empty on PostgreSQL: nothing compared"
    assert differences(expected, spark_nights.first_night[relation]) == []


def test_every_published_mart_is_compared(first_run, test_settings):
    with psycopg.connect(test_settings.warehouse_url) as conn:
        published = {
            f"marts.{name}"
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            )
        }
    assert published, "nothing is published on PostgreSQL"
    compared = {relation for relation in SPARK_RELATIONS.values() if relation.startswith("marts.")}
    assert compared == published


def test_a_cent_off_is_a_difference(spark_nights):
    """The comparison is not vacuous: one amount moved by a cent is reported."""
    expected = spark_nights.published["staging.stg_core_banking__transactions"]
    amount = expected.columns.index("amount")
    row = next(iter(expected.rows))
    changed = (*row[:amount], row[amount] + Decimal("0.01"), *row[amount + 1 :])
    corrupted = Relation(
        columns=expected.columns,
        rows=expected.rows - Counter([row]) + Counter([changed]),
        cents=expected.cents,
    )
    found = differences(expected, corrupted)
    assert found[0] == "1 row(s) missing, 1 unexpected"
    assert found[1:] == [f"missing: {row}", f"unexpected: {changed}"]
