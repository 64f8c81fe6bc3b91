"""One more business day in the simulated source systems, for the nightly increment.

The generator writes the sources as they stand at the as-of month end. The
next nightly run should find what a real bank's systems would hold by then:
the activity since the previous run's extraction moment, that is the day's
transactions and fee postings in core banking and the day's interactions in
the CRM. Interactions are records of their own: the contacts they concern
are not edited. Month-end tables (balances, loan snapshots) and the ERP's
monthly exports do not change on an ordinary day.

The new day repeats the last calendar day's activity on accounts that are
still open, moved forward so that it falls in the 24 hours after ``since``
(the previous run's extraction moment), with new keys. Its volume is a
realistic nightly increment (about 1/30 of a month of transactions), and the
same sources and moment always give the same rows.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from cvw.db_rows import one_value

NEXT_DAY_TRANSACTIONS = """
insert into transactions
    (transaction_id, account_id, customer_id, posted_at, channel, transaction_type, amount)
select
    (select max(transaction_id) from transactions)
        + row_number() over (order by transactions.transaction_id),
    transactions.account_id,
    transactions.customer_id,
    transactions.posted_at + %(shift)s,
    transactions.channel,
    transactions.transaction_type,
    transactions.amount
from transactions
inner join accounts on transactions.account_id = accounts.account_id
where
    transactions.posted_at >= %(last_day)s
    and transactions.posted_at < %(last_day)s + interval '1 day'
    and accounts.status = 'open'
"""

NEXT_DAY_FEE_POSTINGS = """
insert into fee_postings
    (fee_id, customer_id, account_id, branch_id, fee_category, amount, posted_date, updated_at)
select
    (select max(fee_id) from fee_postings) + row_number() over (order by fee_postings.fee_id),
    fee_postings.customer_id,
    fee_postings.account_id,
    fee_postings.branch_id,
    fee_postings.fee_category,
    fee_postings.amount,
    cast((fee_postings.updated_at + %(shift)s) at time zone 'UTC' as date),
    fee_postings.updated_at + %(shift)s
from fee_postings
inner join accounts on fee_postings.account_id = accounts.account_id
where
    fee_postings.updated_at >= %(last_day)s
    and fee_postings.updated_at < %(last_day)s + interval '1 day'
    and accounts.status = 'open'
"""

# CRM timestamps are ISO-8601 text in UTC ('2026-10-31T23:59:01+00:00').
NEXT_DAY_INTERACTIONS = """
insert into interactions
    (interaction_id, contact_id, rm_id, interaction_type, occurred_at,
     follow_up_due_date, follow_up_done_date, updated_at)
select
    'IA' || printf('%09d', (select max(cast(substr(interaction_id, 3) as integer))
        from interactions) + row_number() over (order by interaction_id)),
    contact_id,
    rm_id,
    interaction_type,
    strftime('%Y-%m-%dT%H:%M:%S+00:00', occurred_at, :shift),
    null,
    null,
    strftime('%Y-%m-%dT%H:%M:%S+00:00', occurred_at, :shift)
from interactions
where occurred_at >= :last_day and occurred_at < :last_day_end
"""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def append_next_day(
    core_banking_url: str, crm_db_path: Path, since: datetime, repeated_day: date | None = None
) -> dict[str, int]:
    """Add a day of activity in the 24 hours after ``since``; the rows added per table.

    ``repeated_day`` is the calendar day whose activity is repeated, by default
    the day before ``since``. A second added night names the sources' last
    generated day again: the day before it holds only the part of the first
    added night that fell on that date.
    """
    since = since.astimezone(UTC)
    day = repeated_day or since.date() - timedelta(days=1)
    last_day = datetime.combine(day, datetime.min.time(), UTC)
    shift = since - last_day
    with psycopg.connect(core_banking_url) as conn:
        already = one_value(
            conn.execute("select count(*) from transactions where posted_at >= %s", (since,))
        )
        if already:
            raise RuntimeError(f"core banking already holds transactions after {since}")
        moments = {"shift": shift, "last_day": last_day}
        transactions = conn.execute(NEXT_DAY_TRANSACTIONS, moments).rowcount
        fee_postings = conn.execute(NEXT_DAY_FEE_POSTINGS, moments).rowcount
    with sqlite3.connect(crm_db_path) as crm:
        crm_moments = {
            "shift": f"+{int(shift.total_seconds())} seconds",
            "last_day": _iso(last_day),
            "last_day_end": _iso(last_day + timedelta(days=1)),
        }
        interactions = crm.execute(NEXT_DAY_INTERACTIONS, crm_moments).rowcount
    return {
        "core_banking.transactions": transactions,
        "core_banking.fee_postings": fee_postings,
        "crm.interactions": interactions,
    }
