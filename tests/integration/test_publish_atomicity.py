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
from datetime import date

import psycopg
import pytest

from cvw.publish import publish_marts

pytestmark = pytest.mark.integration

TABLES = ("contribution", "tiers")


def _stage_build(url: str, build: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists marts_build cascade")
        conn.execute("create schema marts_build")
        for table in TABLES:
            conn.execute(f"create table marts_build.{table} as select {build} as build")
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


def test_a_reader_querying_during_publishes_never_sees_a_mix(scratch_database):
    _stage_build(scratch_database, 1)
    publish_marts(scratch_database, date(2026, 11, 1))
    reader = _Reader(scratch_database)
    reader.start()
    try:
        for build in range(2, 22):
            _stage_build(scratch_database, build)
            publish_marts(scratch_database, date(2026, 11, 1))
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


def test_a_publish_killed_mid_transaction_leaves_the_published_marts(scratch_database):
    _stage_build(scratch_database, 1)
    publish_marts(scratch_database, date(2026, 11, 1))
    _stage_build(scratch_database, 2)
    publisher_code = (
        "import sys; from datetime import date; from cvw.publish import publish_marts;"
        " publish_marts(sys.argv[1], date(2026, 11, 2))"
    )
    with psycopg.connect(scratch_database) as reader:
        # A BI query holding the published table: the publish waits for it, inside its
        # transaction, after it has already dropped marts_previous.
        reader.execute("select * from marts.contribution").fetchall()
        publisher = subprocess.Popen(
            [sys.executable, "-c", publisher_code, scratch_database],
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
