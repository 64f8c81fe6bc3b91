"""Order-independent checksums of every table in a schema.

Used to prove that two builds published the same marts (a full rebuild against
an incremental one, or a build before and after a performance change): each
table gets its row count and the sum of a 64-bit hash of every row's text, so
the same rows in any physical order give the same figure.

Usage: python -m cvw.checksums WAREHOUSE_URL [SCHEMA]
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql

from cvw.db_rows import one_row

ROW_HASH_SUM = (
    "select count(*), coalesce(sum(('x' || substr(md5({row}::text), 1, 16))::bit(64)::bigint"
    "::numeric), 0) from {table} as t"
)


def table_checksums(
    warehouse_url: str, schema: str = "marts", ignore: dict[str, set[str]] | None = None
) -> dict[str, str]:
    """``{table: "<rows>:<hash sum>"}`` for every table and view in ``schema``.

    ``ignore`` names columns per table that are left out of the hash (the rows
    still count), for columns that record how data arrived rather than what it says.
    """
    ignore = ignore or {}
    with psycopg.connect(warehouse_url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s"
                " order by table_name",
                (schema,),
            )
        ]
        checksums = {}
        for table in tables:
            row: sql.Composable = sql.SQL("t")
            if table in ignore:
                columns = [
                    sql.Identifier("t", name)
                    for (name,) in conn.execute(
                        "select column_name from information_schema.columns where"
                        " table_schema = %s and table_name = %s order by ordinal_position",
                        (schema, table),
                    )
                    if name not in ignore[table]
                ]
                row = sql.SQL("row({})").format(sql.SQL(", ").join(columns))
            query = sql.SQL(ROW_HASH_SUM).format(row=row, table=sql.Identifier(schema, table))
            rows, hash_sum = one_row(conn.execute(query))
            checksums[table] = f"{rows}:{hash_sum}"
    return checksums


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m cvw.checksums WAREHOUSE_URL [SCHEMA]")
    schema = sys.argv[2] if len(sys.argv) == 3 else "marts"
    for name, checksum in table_checksums(sys.argv[1], schema).items():
        print(f"{name}\t{checksum}")
