"""A landing created before its source gained a column gets the column, nullable."""

from __future__ import annotations

import psycopg
import pytest

from cvw.catalog import tables_of
from cvw.landing import ensure_raw_tables

pytestmark = pytest.mark.integration


def _columns(conn: psycopg.Connection, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, is_nullable from information_schema.columns"
        " where table_schema = 'raw_core_banking' and table_name = %s",
        (table,),
    )
    return dict(rows.fetchall())


def test_new_source_columns_are_added_to_an_existing_landing(scratch_database: str) -> None:
    customers = next(t for t in tables_of("core_banking") if t.name == "customers")
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        ensure_raw_tables(conn)
        # the landing as a release before the group columns created it
        conn.execute("alter table raw_core_banking.customers drop column group_id")
        conn.execute("alter table raw_core_banking.customers drop column group_role")
        assert "group_id" not in _columns(conn, "customers")

        ensure_raw_tables(conn)

        columns = _columns(conn, "customers")
        assert {c.name for c in customers.columns} <= set(columns)
        assert columns["group_id"] == "YES" and columns["group_role"] == "YES"
        # a second call finds nothing to add and changes nothing
        ensure_raw_tables(conn)
        assert _columns(conn, "customers") == columns
