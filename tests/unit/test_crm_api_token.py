"""The CRM API's bearer token: refused without it, accepted with it, carried by the connection."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cvw.config import airflow_env, load_settings
from cvw.credentials import crm_api_token
from cvw.extract.crm_client import CrmApiError, RetryPolicy, iter_records
from cvw_sources.crm_api import CrmApiServer, make_server
from tests.unit.test_crm_api_client import CONTACTS, _build_db

TOKEN = "right-token-of-the-crm-api"
REFUSED_BODY = {"error": "missing or invalid bearer token"}
FAST = RetryPolicy(attempts=3, initial_wait_s=0.01, max_wait_s=0.01, timeout_s=5.0)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[CrmApiServer, str]]:
    server = make_server(_build_db(tmp_path / "crm.sqlite3"), "127.0.0.1", 0, token=TOKEN)
    assert isinstance(server, CrmApiServer)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", ["/contacts?page_size=100", "/health", "/accounts", "/"])
def test_request_without_token_gets_401_and_nothing_else(
    api: tuple[CrmApiServer, str], path: str
) -> None:
    server, base = api
    response = httpx.get(base + path)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="crm-api"'
    assert response.json() == REFUSED_BODY
    # Refused requests neither count as hits nor trip fault injection.
    assert not server.hits


@pytest.mark.parametrize(
    "authorization",
    [
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN.upper()}",
        "Bearer",
        f"Basic {TOKEN}",
        TOKEN,
        "Bearer r\u00e9ght-token",
    ],
)
def test_wrong_token_gets_401_naming_it_invalid(
    api: tuple[CrmApiServer, str], authorization: str
) -> None:
    server, base = api
    response = httpx.get(
        f"{base}/contacts?page_size=100",
        headers={"Authorization": authorization.encode("latin-1")},
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == ('Bearer realm="crm-api", error="invalid_token"')
    assert response.json() == REFUSED_BODY
    assert CONTACTS[0]["contact_id"] not in response.text
    assert not server.hits


def test_writes_without_token_get_401_too(api: tuple[CrmApiServer, str]) -> None:
    _, base = api
    response = httpx.post(f"{base}/contacts", json={"contact_id": "C1"})
    assert response.status_code == 401
    assert response.json() == REFUSED_BODY


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_right_token_is_served(api: tuple[CrmApiServer, str], scheme: str) -> None:
    server, base = api
    response = httpx.get(
        f"{base}/contacts?page_size=100", headers={"Authorization": f"{scheme} {TOKEN}"}
    )

    assert response.status_code == 200
    assert len(response.json()["data"]) == len(CONTACTS) == 40
    assert server.hits["contacts"] == 1


def test_token_never_reaches_the_log(
    api: tuple[CrmApiServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, base = api
    with caplog.at_level(logging.INFO, logger="cvw_sources.crm_api"):
        httpx.get(f"{base}/health", headers={"Authorization": f"Bearer {TOKEN}"})
        httpx.get(f"{base}/health", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert len(caplog.records) == 2
    assert TOKEN not in caplog.text


def test_server_refuses_to_run_without_a_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="non-empty token"):
        make_server(tmp_path / "crm.sqlite3", "127.0.0.1", 0, token="")


def test_client_sends_the_token_on_every_request(api: tuple[CrmApiServer, str]) -> None:
    _, base = api
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}) as client:
        records = list(
            iter_records(
                base,
                "contacts",
                token=TOKEN,
                updated_since=None,
                updated_before=None,
                page_size=15,
                client=client,
            )
        )

    assert len(records) == 40
    # 40 records in pages of 15: three requests.
    assert [request.headers["Authorization"] for request in sent] == [f"Bearer {TOKEN}"] * 3


@pytest.mark.parametrize(
    ("token", "cause"),
    [
        ("wrong-token", "the API token was refused"),
        ("", "no API token was sent"),
    ],
)
def test_client_fails_at_once_on_a_refused_token(
    api: tuple[CrmApiServer, str], token: str, cause: str
) -> None:
    _, base = api
    sent: list[httpx.Request] = []
    with (
        httpx.Client(event_hooks={"request": [sent.append]}) as client,
        pytest.raises(CrmApiError) as raised,
    ):
        list(
            iter_records(
                base,
                "contacts",
                token=token,
                updated_since=None,
                updated_before=None,
                retry=FAST,
                client=client,
            )
        )

    message = str(raised.value)
    assert message.startswith(f"CRM API contacts: HTTP 401 from {base}/contacts: {cause}")
    assert "crm_api" in message and "\n" not in message
    assert "wrong-token" not in message
    # FAST allows three attempts; a refused token is asked once.
    assert len(sent) == 1


def test_token_comes_from_the_environment_before_the_generated_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_API_TOKEN", raising=False)
    generated = crm_api_token(tmp_path)
    secret_file = tmp_path / "secrets" / "crm_api_token"
    assert secret_file.read_text().strip() == generated
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert crm_api_token(tmp_path) == generated

    monkeypatch.setenv("CRM_API_TOKEN", "token-from-the-container")
    assert crm_api_token(tmp_path) == "token-from-the-container"


def test_airflow_connection_carries_the_servers_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_API_TOKEN", raising=False)
    monkeypatch.delenv("CRM_API_URL", raising=False)
    monkeypatch.setenv("CVW_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("CVW_CRM_PORT", "58999")
    settings = load_settings()

    connection = json.loads(airflow_env(settings)["AIRFLOW_CONN_CRM_API"])

    token = (tmp_path / "secrets" / "crm_api_token").read_text().strip()
    assert connection == {
        "conn_type": "http",
        "host": "127.0.0.1",
        "port": 58999,
        "schema": "api/v1",
        "password": token,
    }


def test_task_reads_base_url_and_token_from_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cvw.pipeline import CRM_API_CONN_ID, http_base_url_and_token

    # A token with characters a URI form would have to escape.
    token = "a/b+c%d@e:f"
    monkeypatch.setenv(
        "AIRFLOW_CONN_CRM_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "crm.internal",
                "port": 8443,
                "schema": "api/v1",
                "password": token,
            }
        ),
    )

    assert http_base_url_and_token(CRM_API_CONN_ID) == ("http://crm.internal:8443/api/v1", token)
