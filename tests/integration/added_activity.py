"""Activity added to the shared sources for a test's later nights, and removed after.

The shared run lands the sources as generated (tests/pipeline_run.py). A test
of a second night adds the next business day (cvw_sources.generate.next_day)
and one transaction posted late into October, the last closed month, which
the second night's extract reaches back to (core-banking lookback); it
removes both afterwards, so later modules see the shared data set unchanged.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import psycopg

from cvw.config import Settings
from tests.pipeline_run import MOMENT

# Posted after the first run but dated in October, the last closed month.
LATE_POSTED_AT = MOMENT - timedelta(hours=12)


def post_late_transaction(core_banking_url: str) -> int:
    """A copy of an October card payment, with a new id, posted late: its id."""
    with psycopg.connect(core_banking_url) as conn:
        return conn.execute(
            "insert into transactions (transaction_id, account_id, customer_id, posted_at,"
            " channel, transaction_type, amount)"
            " select (select max(transaction_id) + 1 from transactions), account_id,"
            " customer_id, %s, channel, transaction_type, amount from transactions"
            " where posted_at >= %s and posted_at < %s order by transaction_id limit 1"
            " returning transaction_id",
            (LATE_POSTED_AT, MOMENT - timedelta(days=5), LATE_POSTED_AT),
        ).fetchone()[0]


def remove_added_activity(settings: Settings, late_id: int | None) -> None:
    """Delete the days added after the shared run and the late transaction."""
    with psycopg.connect(settings.core_banking_url) as conn:
        conn.execute(
            "delete from transactions where posted_at >= %s or transaction_id = %s",
            (MOMENT, late_id),
        )
        conn.execute("delete from fee_postings where updated_at >= %s", (MOMENT,))
    with sqlite3.connect(settings.crm_db_path) as crm:
        crm.execute(
            "delete from interactions where occurred_at >= ?",
            (MOMENT.strftime("%Y-%m-%dT%H:%M:%S+00:00"),),
        )
