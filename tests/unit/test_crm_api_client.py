"""The simulated CRM API and its paged, retrying client, against a real local server."""

from __future__ import annotations

import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from cvw.catalog import CRM
from cvw.config import load_settings
from cvw.extract.crm_client import CrmApiError, RetryPolicy, iter_pages, iter_records
from cvw_sources.crm_api import CrmApiServer, make_server
from cvw_sources.crm_api_process import serving

TOKEN = "token-of-the-test-crm-api"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAST = RetryPolicy(attempts=5, initial_wait_s=0.01, max_wait_s=0.05, timeout_s=5.0)
BASE = datetime(2026, 3, 4, 10, 15, tzinfo=UTC)
# Few distinct timestamps for many rows, so pages must split runs of equal updated_at.
STAMPS = [(BASE + timedelta(hours=h)).isoformat() for h in range(5)]


def _contacts(count: int) -> list[dict[str, str | None]]:
    rng = random.Random(7)
    rows = []
    for n in range(count):
        rows.append(
            {
                "contact_id": f"C{rng.randrange(10**6):06d}-{n}",
                "cif": None if n % 4 == 0 else f"CIF{n:05d}",
                "full_name": f"Contact {n}",
                "national_id": None,
                "phone": None,
                "email": f"c{n}@example.com",
                "contact_type": "retail",
                "rm_id": "RM001",
                "created_at": STAMPS[0],
                "updated_at": STAMPS[rng.randrange(len(STAMPS))],
            }
        )
    return rows


CONTACTS = _contacts(40)
SURVEYS = [
    {
        "survey_id": f"S{n:03d}",
        "contact_id": CONTACTS[n]["contact_id"],
        "score": str(n + 1),
        "responded_at": STAMPS[1],
        "updated_at": STAMPS[n % 2],
    }
    for n in range(5)
]


def _build_db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        for source in CRM:
            columns = ", ".join(f"{name} text" for name in source.column_names)
            conn.execute(f"create table {source.name} ({columns})")
            key = ", ".join((source.change_column, *source.primary_key))
            conn.execute(f"create index {source.name}_changes on {source.name} ({key})")
        for name, rows in (("contacts", CONTACTS), ("surveys", SURVEYS)):
            shuffled = random.Random(1).sample(rows, len(rows))
            names = list(rows[0])
            conn.executemany(
                f"insert into {name} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                [tuple(row[c] for c in names) for row in shuffled],
            )
    conn.close()
    return path


@pytest.fixture
def crm_db(tmp_path: Path) -> Path:
    return _build_db(tmp_path / "crm.sqlite3")


ServerFactory = Callable[..., tuple[CrmApiServer, str]]


@pytest.fixture
def crm_server(crm_db: Path) -> Iterator[ServerFactory]:
    servers: list[CrmApiServer] = []

    def start(fail_every: int = 0, db_path: Path = crm_db) -> tuple[CrmApiServer, str]:
        server = make_server(db_path, "127.0.0.1", 0, token=TOKEN, fail_every=fail_every)
        assert isinstance(server, CrmApiServer)
        serving = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        serving.start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}/api/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _order(row: dict) -> tuple[str, str]:
    return row["updated_at"], row["contact_id"]


def test_pages_return_every_record_once_in_key_order(crm_server: ServerFactory) -> None:
    server, base = crm_server()
    pages = list(
        iter_pages(
            base,
            "contacts",
            token=TOKEN,
            updated_since=None,
            updated_before=None,
            page_size=3,
            retry=FAST,
        )
    )
    records = [record for page in pages for record in page]

    assert [len(page) for page in pages] == [3] * 13 + [1]
    assert records == sorted(CONTACTS, key=_order)
    assert server.hits["contacts"] == len(pages)


def test_values_keep_their_stored_form(crm_server: ServerFactory) -> None:
    _, base = crm_server()
    surveys = list(
        iter_records(base, "surveys", token=TOKEN, updated_since=None, updated_before=None)
    )
    contacts = list(
        iter_records(base, "contacts", token=TOKEN, updated_since=None, updated_before=None)
    )

    assert {s["survey_id"]: s["score"] for s in surveys} == {f"S{n:03d}": n + 1 for n in range(5)}
    assert contacts[0]["updated_at"].endswith("+00:00")
    assert any(c["cif"] is None for c in contacts)
    assert (
        list(
            iter_records(base, "interactions", token=TOKEN, updated_since=None, updated_before=None)
        )
        == []
    )


@pytest.mark.parametrize(
    ("since", "before"),
    [
        (BASE + timedelta(hours=1), BASE + timedelta(hours=3)),
        (BASE + timedelta(hours=1), None),
        (None, BASE + timedelta(hours=2)),
        (BASE + timedelta(hours=1, seconds=1), BASE + timedelta(hours=4)),
        # Same instants in another zone: the client must send them as UTC.
        (
            (BASE + timedelta(hours=2)).astimezone(timezone(timedelta(hours=5))),
            (BASE + timedelta(hours=4)).astimezone(timezone(timedelta(hours=-3))),
        ),
    ],
)
def test_bounds_are_inclusive_then_exclusive(
    crm_server: ServerFactory, since: datetime | None, before: datetime | None
) -> None:
    _, base = crm_server()
    expected = sorted(
        (
            row
            for row in CONTACTS
            if (since is None or datetime.fromisoformat(row["updated_at"]) >= since)
            and (before is None or datetime.fromisoformat(row["updated_at"]) < before)
        ),
        key=_order,
    )
    got = list(
        iter_records(
            base,
            "contacts",
            token=TOKEN,
            updated_since=since,
            updated_before=before,
            page_size=4,
            retry=FAST,
        )
    )
    assert expected, "the bounds should select some rows"
    assert got == expected


def test_client_sends_bounds_as_utc_on_the_given_client(crm_server: ServerFactory) -> None:
    _, base = crm_server()
    sent: list[httpx.Request] = []
    plus_five = timezone(timedelta(hours=5))
    with httpx.Client(event_hooks={"request": [sent.append]}) as client:
        list(
            iter_pages(
                base,
                "contacts",
                token=TOKEN,
                updated_since=datetime(2026, 3, 4, 16, 15, tzinfo=plus_five),
                updated_before=datetime(2026, 3, 4, 19, 15, 30, tzinfo=plus_five),
                page_size=20,
                client=client,
            )
        )
        assert not client.is_closed

    assert len(sent) == 2
    for request in sent:
        assert request.url.params["updated_since"] == "2026-03-04T11:15:00+00:00"
        assert request.url.params["updated_before"] == "2026-03-04T14:15:30+00:00"
    assert "cursor" not in sent[0].url.params and "cursor" in sent[1].url.params


def test_server_reads_z_suffix_and_lost_plus_sign(crm_server: ServerFactory) -> None:
    _, base = crm_server()
    since = BASE + timedelta(hours=3)
    expected = {
        r["contact_id"] for r in CONTACTS if datetime.fromisoformat(r["updated_at"]) >= since
    }
    for raw in ("2026-03-04T13:15:00Z", "2026-03-04T13:15:00+00:00", "2026-03-04T15:15:00+02:00"):
        # Built by hand so "+" goes unencoded, as from a shell one-liner.
        response = httpx.get(f"{base}/contacts?page_size=100&updated_since={raw}", headers=AUTH)
        assert response.status_code == 200, response.text
        assert {r["contact_id"] for r in response.json()["data"]} == expected


def test_client_retries_through_injected_failures(crm_server: ServerFactory) -> None:
    server, base = crm_server(fail_every=2)
    records = list(
        iter_records(
            base,
            "contacts",
            token=TOKEN,
            updated_since=None,
            updated_before=None,
            page_size=5,
            retry=FAST,
        )
    )

    assert records == sorted(CONTACTS, key=_order)
    pages = len(CONTACTS) // 5
    # Every second request fails, so each page after the first costs one retry.
    assert server.hits["contacts"] == 2 * pages - 1


def test_client_gives_up_after_last_attempt(
    crm_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    server, base = crm_server(fail_every=1)
    policy = RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=0.01, timeout_s=5.0)

    with pytest.raises(CrmApiError) as raised:
        list(
            iter_records(
                base, "contacts", token=TOKEN, updated_since=None, updated_before=None, retry=policy
            )
        )

    message = str(raised.value)
    assert "contacts" in message and f"{base}/contacts" in message and "503" in message
    assert "\n" not in message
    assert server.hits["contacts"] == 2
    assert any(
        "attempt 1/2" in r.getMessage() for r in caplog.records if r.name == "cvw.extract.crm"
    )


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = RetryPolicy(attempts=2, initial_wait_s=0.01, max_wait_s=0.01, timeout_s=1.0)
    with pytest.raises(CrmApiError, match="giving up after 2 attempts.*ConnectError"):
        list(
            iter_records(
                f"http://127.0.0.1:{port}/api/v1",
                "contacts",
                token=TOKEN,
                updated_since=None,
                updated_before=None,
                retry=policy,
            )
        )


def test_unknown_entity_fails_at_once(crm_server: ServerFactory) -> None:
    server, base = crm_server()
    with pytest.raises(CrmApiError, match="CRM API accounts: HTTP 404") as raised:
        list(
            iter_records(
                base, "accounts", token=TOKEN, updated_since=None, updated_before=None, retry=FAST
            )
        )

    assert "unknown entity" in str(raised.value)
    assert server.hits["accounts"] == 1


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=abc", "page_size"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_before=2026-13-01", "updated_before"),
        ("cursor=not-a-cursor", "cursor"),
        ("updated_after=2026-01-01", "updated_after"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    crm_server: ServerFactory, query: str, parameter: str
) -> None:
    _, base = crm_server()
    response = httpx.get(f"{base}/contacts?{query}", headers=AUTH)
    assert response.status_code == 400
    assert parameter in response.json()["error"]


def test_bad_page_size_from_client_raises_without_retry(crm_server: ServerFactory) -> None:
    server, base = crm_server()
    with pytest.raises(CrmApiError, match="HTTP 400.*page_size"):
        list(
            iter_records(
                base,
                "contacts",
                token=TOKEN,
                updated_since=None,
                updated_before=None,
                page_size=0,
                retry=FAST,
            )
        )
    assert server.hits["contacts"] == 1


def test_health_and_missing_database(crm_server: ServerFactory, tmp_path: Path) -> None:
    _, base = crm_server(db_path=tmp_path / "absent.sqlite3")
    assert httpx.get(f"{base}/health", headers=AUTH).json() == {"status": "ok"}
    response = httpx.get(f"{base}/contacts", headers=AUTH)
    assert response.status_code == 503
    assert "absent.sqlite3" in response.json()["error"]
    assert not (tmp_path / "absent.sqlite3").exists()


def test_naive_bounds_are_rejected(crm_server: ServerFactory) -> None:
    _, base = crm_server()
    with pytest.raises(ValueError, match="timezone-aware"):
        list(
            iter_records(
                base,
                "contacts",
                token=TOKEN,
                updated_since=datetime(2026, 1, 1),
                updated_before=None,
            )
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses with a socket listening on ``port``, read from the kernel's table."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if int(local_port, 16) == port and state == "0A":  # 0A: LISTEN
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


def _wait_until_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while _listening_addresses(port) == set():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the CRM API did not start listening"
        time.sleep(0.05)


def test_cli_serve_on_loopback_with_a_private_token(crm_db: Path, tmp_path: Path) -> None:
    port = _free_port()
    state_dir = tmp_path / "state"
    # Without CRM_API_TOKEN the server generates its token under the state directory.
    env = {
        **{name: value for name, value in os.environ.items() if name != "CRM_API_TOKEN"},
        "CVW_STATE_DIR": str(state_dir),
        "CVW_CRM_PORT": str(port),
        "CRM_DB_PATH": str(crm_db),
    }
    command = [sys.executable, "-m", "cvw", "sources", "serve"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_until_listening(port, server)
        assert _listening_addresses(port) == {"127.0.0.1"}
        token_file = state_dir / "secrets" / "crm_api_token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 40
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 401
        records = list(
            iter_records(
                f"http://127.0.0.1:{port}/api/v1",
                "contacts",
                token=token,
                updated_since=None,
                updated_before=None,
                retry=FAST,
            )
        )
        assert len(records) == len(CONTACTS)
        clash = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
        assert clash.returncode == 1
        assert clash.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
        assert len(clash.stderr.strip().splitlines()) == 1
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "GET /api/v1/contacts" in log and token not in log

    bad = subprocess.run(
        [*command, "--port", "0"], env=env, capture_output=True, text=True, timeout=30
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["error: --port must be from 1 to 65535, got 0"]


def test_serving_runs_the_api_for_the_block_only(crm_db: Path, tmp_path: Path) -> None:
    port = _free_port()
    settings = replace(load_settings(), state_dir=tmp_path, crm_port=port, crm_db_path=crm_db)
    with serving(settings):
        assert _listening_addresses(port) == {"127.0.0.1"}
        token = (tmp_path / "secrets" / "crm_api_token").read_text().strip()
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/health", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        with pytest.raises(RuntimeError, match=f"port {port} on 127.0.0.1 is already in use"):
            with serving(settings):
                pass
    assert _listening_addresses(port) == set()
