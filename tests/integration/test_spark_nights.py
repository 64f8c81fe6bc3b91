"""A second night on Spark builds only what changed and ends where PostgreSQL does.

After night one (tests/integration/spark_run.py: Spark builds the shared
run's landings whole), the sources gain the next business day and one
transaction posted late into October; night two lands only those, and Spark
builds again from its lineage records. PostgreSQL then builds both nights'
landings in one go: every relation of the parity list must be equal, money
to the cent.

The second Spark build must have been incremental where Spark can be: the
month tables rewrite October and the open month and keep the partition files
of every earlier month, the closed-month tables build on their record; the
tables Spark overwrites whole (staging, fct_transactions) are rebuilt.
"""

from __future__ import annotations

import pytest

from tests.integration.spark_run import (
    CLOSED_MONTH_TABLES,
    MONTH_TABLES,
    REBUILT_WHOLE,
    SPARK_RELATIONS,
    differences,
)

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("relation", list(SPARK_RELATIONS))
def test_two_nights_on_spark_equal_one_build_on_postgres(spark_nights, relation):
    expected = spark_nights.postgres_once[relation]
    assert sum(expected.rows.values()) > 0, f"{relation} is empty on PostgreSQL: nothing compared"
    assert differences(expected, spark_nights.second_night[relation]) == []


def test_the_second_night_builds_on_the_lineage_records(spark_nights):
    for table in (*MONTH_TABLES, *CLOSED_MONTH_TABLES):
        assert spark_nights.last_builds[table] == "incremental", table
    for table in REBUILT_WHOLE:
        assert spark_nights.last_builds[table] == "full", table


def test_the_month_tables_rewrite_october_and_keep_every_earlier_month(spark_nights):
    for table in MONTH_TABLES:
        earlier_before, october_before = spark_nights.files_before[table]
        earlier_after, october_after = spark_nights.files_after[table]
        assert earlier_before, f"{table} has no month before October"
        assert earlier_after == earlier_before, table
        assert october_after and october_after.isdisjoint(october_before), table
