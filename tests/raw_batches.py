"""Raw batches the gate tests land: hand-made rows and the batch log rows that go with them.

The same rows are landed in PostgreSQL (``land``) and as Parquet tables in a Spark
catalog (``land_on_spark``), so a gate's result on the two engines can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from cvw.catalog import ALL_TABLES, LINEAGE_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOADED_AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
UPDATED_AT = datetime(2026, 10, 31, 18, 0, tzinfo=UTC)
# Rows landed again on a later date carry a later change timestamp, as a source's would.
RESTATED_AT = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)
# Per run over the whole catalog: 121 required columns, 22 coded columns, 25 ranges,
# 2 period formats, 38 key and reference columns not blank (15 core banking, 8 ERP,
# 15 CRM), one content per key in a batch for the 18 tables and per key and change
# timestamp across batches for the 15 whose change column is not in the key, 2
# account references, 13 change timestamps inside the window (core banking and CRM),
# 19 other business dates not after the extraction moment, and one row-count
# control total for each of the 18 tables.
RAW_EXPECTATIONS = 121 + 22 + 25 + 2 + 38 + 18 + 15 + 2 + 13 + 19 + 18


def customer(customer_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "customer_id": customer_id,
        "customer_type": "retail",
        "full_name": f"Customer {customer_id}",
        "segment": "mass",
        "branch_id": "B01",
        "region": "north",
        "onboarded_date": date(2021, 3, 1),
        "status": "active",
        "credit_rating": "A",
        "updated_at": UPDATED_AT,
    }
    return row | changes


def loan(loan_id: str, **changes: Any) -> dict[str, Any]:
    row = {
        "loan_id": loan_id,
        "snapshot_date": date(2026, 10, 31),
        "customer_id": "C001",
        "principal_amount": 50000,
        "outstanding_balance": 42000,
        "interest_rate": 0.045,
        "term_months": 36,
        "risk_rating": "BBB",
        "probability_of_default": 0.02,
        "loss_given_default": 0.45,
        "days_past_due": 0,
        "updated_at": UPDATED_AT,
    }
    return row | changes


VALID_BATCH: dict[str, list[dict[str, Any]]] = {
    "raw_core_banking.customers": [
        customer("C001"),
        customer("C002", customer_type="corporate", segment="sme", credit_rating=None),
    ],
    "raw_core_banking.products": [
        {
            "product_code": "LN36",
            "product_name": "Business loan 36m",
            "product_family": "loan",
            "term_months": 36,
            "standard_rate": 0.045,
            "is_credit": True,
            "updated_at": UPDATED_AT,
        }
    ],
    "raw_core_banking.loans": [loan("A100"), loan("A101", days_past_due=12)],
    "raw_core_banking.transactions": [
        {
            "transaction_id": tid,
            "account_id": "A200",
            "customer_id": "C001",
            "posted_at": UPDATED_AT,
            "channel": "mobile",
            "transaction_type": "payment",
            "amount": 19.90,
        }
        for tid in (1, 2)
    ],
    "raw_erp.gl_postings": [
        {
            "posting_id": "GL1",
            "posting_date": date(2026, 10, 31),
            "period": "2026-10",
            "gl_account": "4100",
            "gl_line": "fee_income",
            "cost_center_id": "CC01",
            "amount": 1250.00,
            "currency": "CNY",
        }
    ],
    "raw_crm.surveys": [
        {
            "survey_id": "S1",
            "contact_id": "K1",
            "score": 9,
            "responded_at": UPDATED_AT,
            "updated_at": UPDATED_AT,
        }
    ],
}


@dataclass(frozen=True)
class Landing:
    """One logical date's batch and what its batch log says about it.

    ``rows_loaded`` overrides the logged count of a table (the landed rows by
    default); a table in ``unlogged`` gets no batch log row.
    """

    logical_date: date
    batch: dict[str, list[dict[str, Any]]]
    rows_loaded: dict[str, int] = field(default_factory=dict)
    unlogged: tuple[str, ...] = ()

    @property
    def batch_id(self) -> str:
        return f"test-{self.logical_date}"

    def records(self, raw_table: str) -> list[dict[str, Any]]:
        """The table's rows with the lineage columns an extract adds."""
        lineage = {
            "_batch_id": self.batch_id,
            "_logical_date": self.logical_date,
            "_loaded_at": LOADED_AT,
        }
        return [row | lineage for row in self.batch.get(raw_table, [])]

    def batch_logs(self) -> list[dict[str, Any]]:
        """The ``raw_meta.load_batches`` rows, one per logged catalog table."""
        counts = {table: len(rows) for table, rows in self.batch.items()} | self.rows_loaded
        return [
            {
                "batch_id": f"{self.batch_id}-{source.raw_table}",
                "source_system": source.system,
                "table_name": source.name,
                "logical_date": self.logical_date,
                "window_start": None,
                "window_end": LOADED_AT,
                "rows_read": counts.get(source.raw_table, 0),
                "rows_loaded": counts.get(source.raw_table, 0),
                "rows_quarantined": 0,
                "started_at": LOADED_AT,
                "finished_at": LOADED_AT,
            }
            for source in ALL_TABLES
            if source.raw_table not in self.unlogged
        ]


def land(
    conn: psycopg.Connection,
    logical_date: date,
    batch: dict[str, list[dict[str, Any]]],
    *,
    rows_loaded: dict[str, int] | None = None,
    unlogged: tuple[str, ...] = (),
) -> None:
    """Land ``batch`` for the date and log a batch row for every catalog table."""
    landing = Landing(logical_date, batch, rows_loaded or {}, unlogged)
    inserts = [(raw_table, landing.records(raw_table)) for raw_table in batch]
    inserts.append(("raw_meta.load_batches", landing.batch_logs()))
    for table, records in inserts:
        schema, name = table.split(".")
        for record in records:
            conn.execute(
                sql.SQL("insert into {} ({}) values ({})").format(
                    sql.Identifier(schema, name),
                    sql.SQL(", ").join(map(sql.Identifier, record)),
                    sql.SQL(", ").join(sql.Placeholder() * len(record)),
                ),
                list(record.values()),
            )


# The catalog's PostgreSQL types as the Parquet landings type them in Spark.
SPARK_TYPES = {
    "text": "string",
    "integer": "int",
    "bigint": "bigint",
    "boolean": "boolean",
    "date": "date",
    "timestamptz": "timestamp",
}
BATCH_LOG_SCHEMA = (
    "batch_id string, source_system string, table_name string, logical_date date, "
    "window_start timestamp, window_end timestamp, rows_read bigint, rows_loaded bigint, "
    "rows_quarantined bigint, started_at timestamp, finished_at timestamp"
)


def spark_type(catalog_type: str) -> str:
    """``numeric(p,s)`` is Spark's ``decimal(p,s)``; the other types map one to one."""
    if catalog_type.startswith("numeric("):
        return "decimal" + catalog_type.removeprefix("numeric")
    return SPARK_TYPES[catalog_type]


def land_on_spark(spark: SparkSession, landings: Sequence[Landing]) -> None:
    """(Re)create every raw table and the batch log in ``spark``'s catalog holding ``landings``.

    Each raw table is a Parquet table ``raw_<system>.<table>`` partitioned by
    ``_logical_date``, as the Spark landings are; ``raw_meta.load_batches`` is a
    Parquet copy of the batch log. Tables without rows are only declared: writing
    files costs a Spark job each.
    """
    for database in sorted({source.raw_table.split(".")[0] for source in ALL_TABLES}):
        spark.sql(f"create database if not exists {database}")
    spark.sql("create database if not exists raw_meta")
    for source in ALL_TABLES:
        # Spark keeps a partition column last; rows are inserted by position.
        columns = [
            column
            for column in (*source.columns, *LINEAGE_COLUMNS)
            if column.name != "_logical_date"
        ] + [column for column in LINEAGE_COLUMNS if column.name == "_logical_date"]
        schema = ", ".join(f"{column.name} {spark_type(column.type)}" for column in columns)
        spark.sql(f"drop table if exists {source.raw_table}")
        spark.sql(
            f"create table {source.raw_table} ({schema}) using parquet "
            "partitioned by (_logical_date)"
        )
        decimals = {column.name for column in columns if column.type.startswith("numeric(")}
        rows = [
            # Spark takes a decimal column's values as Decimal only.
            tuple(
                Decimal(str(record[column.name]))
                if column.name in decimals and record.get(column.name) is not None
                else record.get(column.name)
                for column in columns
            )
            for landing in landings
            for record in landing.records(source.raw_table)
        ]
        if rows:
            spark.createDataFrame(rows, schema).write.insertInto(source.raw_table)
    logs = [tuple(log.values()) for landing in landings for log in landing.batch_logs()]
    spark.sql("drop table if exists raw_meta.load_batches")
    spark.createDataFrame(logs, BATCH_LOG_SCHEMA).write.format("parquet").saveAsTable(
        "raw_meta.load_batches"
    )
