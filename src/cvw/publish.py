"""Publish the validated marts atomically by swapping schemas in one transaction.

dbt builds every mart into ``marts_build``; once the quality gate has passed,
one transaction renames ``marts`` to ``marts_previous`` and ``marts_build`` to
``marts``. PostgreSQL DDL is transactional, so a reader sees either the old
set of tables or the new one, never a mix, and a failed run never reaches this
step, leaving the last good marts in place. ``marts_previous`` is kept for one
cycle as an instant rollback; readers lose access to it in the same swap.

The same transaction promotes the build's dbt snapshots (``snapshots_build``,
which each build starts as a copy of ``snapshots``), so history recorded by a
build that never published is discarded with it.

The swap is the database function ``warehouse_meta.publish_marts``
(``sql/publish_marts.sql``), owned by the role that owns what is published:
the publisher's own role can call it and do nothing else (cvw.access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from cvw.db_rows import one_value


@dataclass(frozen=True)
class Publication:
    logical_date: date
    table_row_counts: dict[str, int]


def publish_marts(publisher_url: str, logical_date: date) -> Publication:
    with psycopg.connect(publisher_url) as conn:
        counts = one_value(conn.execute("select warehouse_meta.publish_marts(%s)", (logical_date,)))
    return Publication(logical_date=logical_date, table_row_counts=counts)
