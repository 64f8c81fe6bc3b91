"""Publishing swaps whole sets of tables: readers never see a mix, a killed publish changes nothing.

Each "build" here is a ``marts_build`` schema whose two tables carry the same
build number, so a reader that ever sees two different numbers in one query
(or one transaction) has seen a mix of two publications.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import date

import psycopg
import pytest

from cvw.access import bootstrap
from cvw.config import with_user
from cvw.publish import publish_marts
from cvw.roles import PUBLISHER, TRANSFORMER

pytestmark = pytest.mark.integration

TABLES = ("contribution", "tiers")


@dataclass(frozen=True)
class Roles:
    """The scratch warehouse as each component connects to it."""

    transformer: str
    publisher: str
    reader: str


@pytest.fixture
def warehouse(scratch_database, test_settings) -> Roles:
    bootstrap(replace(test_settings, warehouse_url=scratch_database))
    return Roles(
        transformer=with_user(scratch_database, TRANSFORMER),
        publisher=with_user(scratch_database, PUBLISHER),
        reader=with_user(scratch_database, test_settings.marts_reader_role),
    )


def _stage_build(url: str, build: int) -> None:
    """What dbt leaves behind as the transformer: tables granted to the BI reader."""
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists marts_build cascade")
        conn.execute("create schema marts_build")
        for table in TABLES:
            conn.execute(f"create table marts_build.{table} as select {build} as build")
            conn.execute(f"grant select on marts_build.{table} to cvw_bi_reader")
        conn.execute("drop schema if exists snapshots_build cascade")
        conn.execute("create schema snapshots_build")
        conn.execute(f"create table snapshots_build.history as select {build} as build")


def _published(url: str) -> tuple[int, ...]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select (select build from marts.contribution), (select build from marts.tiers),"
            " (select build from snapshots.history)"
        ).fetchone()


class _Reader(threading.Thread):
    """Reads both published tables as fast as it can, in one statement and in one transaction."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.seen, self.stop = url, [], threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                self.seen.append(
                    conn.execute(
                        "select (select build from marts.contribution),"
                        " (select build from marts.tiers)"
                    ).fetchone()
                )
                with conn.transaction():
                    first = conn.execute("select build from marts.contribution").fetchone()[0]
                    second = conn.execute("select build from marts.tiers").fetchone()[0]
                self.seen.append((first, second))


def test_a_reader_querying_during_publishes_never_sees_a_mix(warehouse, scratch_database):
    _stage_build(warehouse.transformer, 1)
    publish_marts(warehouse.publisher, date(2026, 11, 1))
    reader = _Reader(warehouse.reader)
    reader.start()
    try:
        for build in range(2, 22):
            _stage_build(warehouse.transformer, build)
            publish_marts(warehouse.publisher, date(2026, 11, 1))
    finally:
        reader.stop.set()
        reader.join(timeout=30)
    mixes = [pair for pair in reader.seen if pair[0] != pair[1]]
    assert not mixes, f"{len(mixes)} of {len(reader.seen)} reads mixed two publications"
    builds = [pair[0] for pair in reader.seen]
    assert builds == sorted(builds), "a reader saw an older publication after a newer one"
    assert len(set(builds)) >= 2, "the reader never overlapped a publish"
    assert _published(scratch_database) == (21, 21, 21)


def _backend_waiting_on_a_lock(url: str, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "select pid from pg_stat_activity where datname = current_database()"
                " and wait_event_type = 'Lock'"
            ).fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError("the publish never reached its lock wait")


def _wait_until_gone(url: str, pid: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if not conn.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.1)
    raise AssertionError(f"backend {pid} of the killed publish is still running")


def test_a_publish_killed_mid_transaction_leaves_the_published_marts(warehouse, scratch_database):
    _stage_build(warehouse.transformer, 1)
    publish_marts(warehouse.publisher, date(2026, 11, 1))
    _stage_build(warehouse.transformer, 2)
    publisher_code = (
        "import sys; from datetime import date; from cvw.publish import publish_marts;"
        " publish_marts(sys.argv[1], date(2026, 11, 2))"
    )
    with psycopg.connect(warehouse.reader) as reader:
        # A BI query holding the published table: the publish waits for it, inside its
        # transaction, after it has already dropped marts_previous.
        reader.execute("select * from marts.contribution").fetchall()
        publisher = subprocess.Popen(
            [sys.executable, "-c", publisher_code, warehouse.publisher],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            start_new_session=True,
        )
        try:
            backend = _backend_waiting_on_a_lock(scratch_database)
        finally:
            os.killpg(publisher.pid, signal.SIGKILL)
            publisher.wait(timeout=30)
        reader.rollback()
    _wait_until_gone(scratch_database, backend)
    assert _published(scratch_database) == (1, 1, 1)
    with psycopg.connect(scratch_database) as conn:
        assert conn.execute("select build from marts_build.tiers").fetchone() == (2,)
        assert conn.execute("select count(*) from warehouse_meta.publications").fetchone() == (1,)
    publish_marts(scratch_database, date(2026, 11, 2))
    assert _published(scratch_database) == (2, 2, 2)


def test_readers_keep_the_published_marts_and_lose_the_previous_ones(warehouse):
    for build in (1, 2):
        _stage_build(warehouse.transformer, build)
        publish_marts(warehouse.publisher, date(2026, 11, build))
    with psycopg.connect(warehouse.reader, autocommit=True) as reader:
        assert reader.execute("select build from marts.contribution").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("select build from marts_previous.contribution")
    with psycopg.connect(warehouse.transformer, autocommit=True) as transformer:
        # Published tables belong to the marts owner: dbt can no longer change them.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            transformer.execute("delete from marts.contribution")
        assert transformer.execute("select build from snapshots.history").fetchone() == (2,)
