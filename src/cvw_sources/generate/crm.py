"""CRM: a SQLite file the simulated CRM API serves, rebuilt on every run.

Every value is stored as text in the form the API hands out (ISO-8601 UTC
timestamps, ISO dates, money with two decimals), except survey scores, which
are integers. Each table has an index on (updated_at, primary key), the order
of the API's keyset paging.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

from cvw_sources.generate.crm_records import (
    Contact,
    campaign_responses,
    customer_contacts,
    customer_party,
    interactions,
    opportunities,
    prospect_contact,
    surveys,
)
from cvw_sources.generate.formats import money
from cvw_sources.generate.streams import Stream, stream, streams_from
from cvw_sources.generate.window import Window
from cvw_sources.generate.world import Population
from cvw_sources.schema import CRM, Table

CONTACT_ID_SPACE = 10**8
FLUSH_ROWS = 5_000
ID_PREFIXES = {"interactions": "IA", "surveys": "SV", "opportunities": "OP",
               "campaign_responses": "CR"}  # fmt: skip


class ContactIds:
    """``K`` plus eight digits: an affine permutation of the contact's sequence number, so
    ids are unique yet their order says nothing about the customer behind them."""

    def __init__(self, seed: int) -> None:
        rng = stream(seed, Stream.IDENTIFIERS, 1)
        multiplier = int(rng.integers(1, CONTACT_ID_SPACE))
        # Coprime to 10**8, which makes the map a permutation.
        while multiplier % 2 == 0 or multiplier % 5 == 0:
            multiplier += 1
        self._multiplier = multiplier
        self._offset = int(rng.integers(0, CONTACT_ID_SPACE))

    def contact_id(self, sequence: int) -> str:
        return f"K{(self._multiplier * sequence + self._offset) % CONTACT_ID_SPACE:08d}"


def table_statement(source: Table) -> str:
    columns = ", ".join(
        f"{c.name} {'INTEGER' if c.type in ('integer', 'bigint') else 'TEXT'}"
        f"{'' if c.nullable else ' NOT NULL'}"
        for c in source.columns
    )
    return f"CREATE TABLE {source.name} ({columns}, PRIMARY KEY ({', '.join(source.primary_key)}))"


def index_statement(source: Table) -> str:
    """The index behind the API's keyset paging."""
    key = ", ".join((source.change_column, *source.primary_key))
    return f"CREATE INDEX {source.name}_{source.change_column}_idx ON {source.name} ({key})"


class _TableWriter:
    """Buffered inserts into the CRM tables, with sequential ids where the CRM assigns them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.buffers: dict[str, list[Sequence[Any]]] = {source.name: [] for source in CRM}
        self.width = {source.name: len(source.columns) for source in CRM}
        self.rows: Counter[str] = Counter()

    def add(self, name: str, row: Sequence[Any]) -> None:
        if name in ID_PREFIXES:
            row = (f"{ID_PREFIXES[name]}{self.rows[name] + 1:09d}", *row)
        self.buffers[name].append(row)
        self.rows[name] += 1
        if len(self.buffers[name]) >= FLUSH_ROWS:
            self.flush(name)

    def flush(self, name: str) -> None:
        marks = ", ".join("?" * self.width[name])
        self.conn.executemany(f"INSERT INTO {name} VALUES ({marks})", self.buffers[name])
        self.buffers[name].clear()


def write_crm(
    population: Population,
    db_path: Path,
    link_contact: Callable[[str, str | None], None],
    progress: Callable[[str], None],
) -> dict[str, int]:
    """Replace the CRM file; ``link_contact(contact_id, customer_id)`` records the true
    customer of each contact (None for prospects). Row counts per table."""
    params, window = population.params, population.window
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = db_path.with_name(f".{db_path.name}.tmp")
    staging.unlink(missing_ok=True)
    ids = ContactIds(params.seed)
    with closing(sqlite3.connect(staging, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for source in CRM:
            conn.execute(table_statement(source))
        writer = _TableWriter(conn)
        for manager in population.managers:
            writer.add(
                "relationship_managers",
                (
                    manager.rm_id, manager.full_name, manager.team, manager.branch.branch_id,
                    manager.hired_date.isoformat(), money(manager.annual_cost_cents),
                    manager.updated_at,
                ),
            )  # fmt: skip
        rngs = streams_from(params.seed, Stream.CRM, len(population))
        # Campaigns draw from streams of their own, so adding them changed no other record.
        campaign_rngs = streams_from(params.seed, Stream.CAMPAIGN, len(population))
        for customer, rng, campaign_rng in zip(population, rngs, campaign_rngs, strict=True):
            party = customer_party(customer, rng)
            reserved = [ids.contact_id(2 * customer.index + n) for n in range(2)]
            for contact in customer_contacts(customer, party, reserved, params, window, rng):
                link_contact(contact.contact_id, customer.customer_id)
                _write_contact(writer, contact, window, rng, campaign_rng)
        rm_ids = tuple(manager.rm_id for manager in population.managers)
        prospects = round(params.crm_prospect_rate * params.customers)
        campaign_rngs = streams_from(params.seed, Stream.PROSPECT_CAMPAIGN, prospects)
        for number, (rng, campaign_rng) in enumerate(
            zip(streams_from(params.seed, Stream.PROSPECT, prospects), campaign_rngs, strict=True)
        ):
            contact_id = ids.contact_id(2 * params.customers + number)
            contact = prospect_contact(contact_id, rm_ids, window, rng)
            link_contact(contact.contact_id, None)
            _write_contact(writer, contact, window, rng, campaign_rng)
        for source in CRM:
            writer.flush(source.name)
            conn.execute(index_statement(source))
        conn.execute("COMMIT")
    os.replace(staging, db_path)
    for source in CRM:
        progress(f"crm.{source.name}: {writer.rows[source.name]:,} rows")
    return {f"crm.{source.name}": writer.rows[source.name] for source in CRM}


def _write_contact(
    writer: _TableWriter,
    contact: Contact,
    window: Window,
    rng: np.random.Generator,
    campaign_rng: np.random.Generator,
) -> None:
    writer.add("contacts", contact.row)
    for interaction in interactions(contact, window, rng):
        writer.add("interactions", interaction)
    for survey in surveys(contact, window, rng):
        writer.add("surveys", survey)
    for opportunity in opportunities(contact, window, rng):
        writer.add("opportunities", opportunity)
    for response in campaign_responses(contact, window, campaign_rng):
        writer.add("campaign_responses", response)
