"""Publish the validated marts on Spark: views in ``marts`` switched to the new build.

Spark's catalog has no transaction over several tables, so the PostgreSQL
publish (one transaction swapping two schemas, ``cvw.publish``) cannot be
repeated. What Spark can promise instead:

* Every published mart is a view ``marts.<name>`` over a table of one build,
  and carries that build's publication id as the view property
  ``cvw.publication_id``. The id is the ``warehouse_meta.publications`` row
  the publish records in PostgreSQL.
* dbt builds the marts into ``marts_build`` (var ``marts_build_schema``). The
  publish renames each built table to ``<name>__p<id>`` in the same database
  (a rename moves no data), then points each view at its renamed table. The
  next build writes new ``marts_build`` tables and never touches a published
  one.
* Each view switches atomically, but one after the other. For the moment the
  switch takes (milliseconds per mart), a reader that joins two marts can get
  one from the new build and one from the previous build. A reader that must
  not mix builds compares the ``cvw.publication_id`` properties of the views
  it read (``show tblproperties``) and reads again on a difference. A reader
  of one mart always sees one whole build of it.
* The publication row commits in PostgreSQL only after every view has
  switched. A publish that fails on the way points the views it already
  switched back to their previous tables, so the previous publication stays
  served whole.
* The tables of the previous publication are kept, as an instant rollback
  (``marts_previous`` on PostgreSQL); older ones are dropped.

Views dbt built in ``marts_build`` (the deprecated names) are published as the
same view over ``marts``.

The build's dbt snapshots (``snapshots_build``, which each build starts as a
copy of ``snapshots``) are promoted with the marts: copied beside the
published ones before any view switches, and renamed over them after, so a
build that never published leaves the recorded history as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import psycopg
from psycopg.types.json import Jsonb

from cvw.db_rows import one_value
from cvw.dbt_vars import marts_build_schema

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PUBLISHED = "marts"
PUBLICATION_PROPERTY = "cvw.publication_id"
SNAPSHOTS, SNAPSHOTS_BUILD, INCOMING = "snapshots", "snapshots_build", "__incoming"
_VERSIONED = re.compile(r"^(?P<name>.+)__p(?P<id>\d+)$")


@dataclass(frozen=True)
class SparkPublication:
    publication_id: int
    logical_date: date
    table_row_counts: dict[str, int]


def publish_marts_on_spark(
    spark: SparkSession, publisher_url: str, logical_date: date, build: str | None = None
) -> SparkPublication:
    """Point ``marts`` at the tables dbt built in ``build``; record the publication."""
    build = build or marts_build_schema()
    entries = spark.catalog.listTables(build)
    tables = sorted(
        e.name for e in entries if e.tableType != "VIEW" and not _VERSIONED.match(e.name)
    )
    views = sorted(e.name for e in entries if e.tableType == "VIEW")
    if not tables:
        raise RuntimeError(f"nothing to publish: Spark database {build} has no new tables")
    counts = {name: spark.table(f"{build}.{name}").count() for name in tables}
    spark.sql(f"create database if not exists {PUBLISHED}")
    snapshots = _stage_snapshots(spark)
    previous = {name: _view_target(spark, name) for name in (*tables, *views)}
    with psycopg.connect(publisher_url) as conn:
        publication_id = int(
            one_value(
                conn.execute(
                    "select warehouse_meta.record_publication(%s, %s, 'spark')",
                    (logical_date, Jsonb(counts)),
                )
            )
        )
        switched: list[str] = []
        try:
            for name in tables:
                spark.sql(f"alter table {build}.{name} rename to {build}.{name}__p{publication_id}")
            for name in tables:
                _point_view(
                    spark, name, f"select * from {build}.{name}__p{publication_id}", publication_id
                )
                switched.append(name)
            for name in views:
                body = _published_view_body(spark, build, name)
                _point_view(spark, name, body, publication_id)
                switched.append(name)
            _promote_snapshots(spark, snapshots)
        except Exception:
            for name in switched:
                _restore_view(spark, name, previous[name])
            raise
        conn.commit()
    _drop_superseded(spark, build, publication_id, previous)
    return SparkPublication(publication_id, logical_date, counts)


def _stage_snapshots(spark: SparkSession) -> list[str]:
    """Copy each snapshot of the build beside the published one; their names."""
    if not spark.catalog.databaseExists(SNAPSHOTS_BUILD):
        return []
    spark.sql(f"create database if not exists {SNAPSHOTS}")
    names = sorted(e.name for e in spark.catalog.listTables(SNAPSHOTS_BUILD))
    for name in names:
        spark.sql(f"drop table if exists {SNAPSHOTS}.{name}{INCOMING}")
        spark.sql(
            f"create table {SNAPSHOTS}.{name}{INCOMING} using parquet"
            f" as select * from {SNAPSHOTS_BUILD}.{name}"
        )
    return names


def _promote_snapshots(spark: SparkSession, names: list[str]) -> None:
    for name in names:
        spark.sql(f"drop table if exists {SNAPSHOTS}.{name}")
        spark.sql(f"alter table {SNAPSHOTS}.{name}{INCOMING} rename to {SNAPSHOTS}.{name}")


def _point_view(spark: SparkSession, name: str, body: str, publication_id: int) -> None:
    spark.sql(
        f"create or replace view {PUBLISHED}.{name}"
        f" tblproperties ('{PUBLICATION_PROPERTY}' = '{publication_id}') as {body}"
    )


def _view_target(spark: SparkSession, name: str) -> tuple[str, str] | None:
    """The body and publication id of the published view ``name``, if there is one."""
    if not spark.catalog.tableExists(f"{PUBLISHED}.{name}"):
        return None
    return _view_text(spark, f"{PUBLISHED}.{name}"), publication_of(spark, name)


def _restore_view(spark: SparkSession, name: str, target: tuple[str, str] | None) -> None:
    if target is None:
        spark.sql(f"drop view if exists {PUBLISHED}.{name}")
    else:
        body, publication_id = target
        _point_view(spark, name, body, int(publication_id))


def _view_text(spark: SparkSession, relation: str) -> str:
    rows = spark.sql(f"describe table extended {relation}").collect()
    return next(str(row.data_type) for row in rows if row.col_name == "View Text")


def _published_view_body(spark: SparkSession, build: str, name: str) -> str:
    """A dbt view of ``build``, reading the published views instead of the build's tables."""
    text = _view_text(spark, f"{build}.{name}")
    return re.sub(rf"(`?){re.escape(build)}(`?)\.", rf"\g<1>{PUBLISHED}\g<2>.", text)


def publication_of(spark: SparkSession, name: str) -> str:
    """The publication id a published mart view carries."""
    rows = spark.sql(f"show tblproperties {PUBLISHED}.{name} ('{PUBLICATION_PROPERTY}')").collect()
    return str(rows[0].value)


def _drop_superseded(
    spark: SparkSession,
    build: str,
    publication_id: int,
    previous: dict[str, tuple[str, str] | None],
) -> None:
    """Drop every renamed table but this publication's and the one it replaced."""
    kept = {str(publication_id), *(target[1] for target in previous.values() if target)}
    for entry in spark.catalog.listTables(build):
        versioned = _VERSIONED.match(entry.name)
        if versioned and versioned.group("id") not in kept:
            spark.sql(f"drop table if exists {build}.{entry.name}")
