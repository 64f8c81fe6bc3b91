"""One more business day in the simulated source systems, for the nightly increment.

The generator writes the sources as they stand at the as-of month end. A
nightly run the next morning should find what a real bank's systems would
hold by then: the new day's transactions and fee postings in core banking,
and the new day's interactions in the CRM, plus the contacts those touched
(their ``updated_at`` moves). Month-end tables (balances, loan snapshots) and
the ERP's monthly exports do not change on an ordinary day.

The new day repeats the last day's activity pattern on accounts that are still
open, with new keys, so its volume is a realistic nightly increment (about
1/30 of a month of transactions). The same sources and day always give the
same rows.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import psycopg

NEXT_DAY_TRANSACTIONS = """
insert into transactions
    (transaction_id, account_id, customer_id, posted_at, channel, transaction_type, amount)
select
    (select max(transaction_id) from transactions)
        + row_number() over (order by transactions.transaction_id),
    transactions.account_id,
    transactions.customer_id,
    transactions.posted_at + (%(day)s::date - transactions.posted_at::date) * interval '1 day',
    transactions.channel,
    transactions.transaction_type,
    transactions.amount
from transactions
inner join accounts on transactions.account_id = accounts.account_id
where
    transactions.posted_at >= %(last_day)s::date
    and transactions.posted_at < %(day)s::date
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
    %(day)s::date,
    fee_postings.updated_at + (%(day)s::date - fee_postings.posted_date) * interval '1 day'
from fee_postings
inner join accounts on fee_postings.account_id = accounts.account_id
where fee_postings.posted_date = %(last_day)s::date and accounts.status = 'open'
"""

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
    :day || substr(occurred_at, 11),
    null,
    null,
    :day || substr(occurred_at, 11)
from interactions
where substr(occurred_at, 1, 10) = :last_day
"""

TOUCHED_CONTACTS = """
update contacts
set updated_at = (
    select max(interactions.occurred_at) from interactions
    where interactions.contact_id = contacts.contact_id
)
where contact_id in (
    select contact_id from interactions where substr(occurred_at, 1, 10) = :day
)
"""


def append_next_day(core_banking_url: str, crm_db_path: Path, day: date) -> dict[str, int]:
    """Add ``day``'s activity, copied from the day before; the rows added per table."""
    last_day = date.fromordinal(day.toordinal() - 1)
    with psycopg.connect(core_banking_url) as conn:
        already = conn.execute(
            "select count(*) from transactions where posted_at >= %s::date", (day,)
        ).fetchone()[0]
        if already:
            raise RuntimeError(f"core banking already holds transactions on or after {day}")
        days = {"day": day, "last_day": last_day}
        transactions = conn.execute(NEXT_DAY_TRANSACTIONS, days).rowcount
        fee_postings = conn.execute(NEXT_DAY_FEE_POSTINGS, days).rowcount
    with sqlite3.connect(crm_db_path) as crm:
        days = {"day": day.isoformat(), "last_day": last_day.isoformat()}
        interactions = crm.execute(NEXT_DAY_INTERACTIONS, days).rowcount
        contacts = crm.execute(TOUCHED_CONTACTS, days).rowcount
    return {
        "core_banking.transactions": transactions,
        "core_banking.fee_postings": fee_postings,
        "crm.interactions": interactions,
        "crm.contacts (updated)": contacts,
    }
