"""Every dashboard kept as code renders every chart with data, as the BI reader.

Superset is set up from the repository's assets against the session's published
marts (``first_run``) on a free port, then each dashboard is opened in headless
Chromium. The chart-data answers the page receives must carry rows for every
chart on it, the page must show no error, and a screenshot of each dashboard is
saved under ``<state_dir>/screenshots``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from cvw.config import Settings
from cvw_demo import superset as bi
from tests.bi import chromium

pytestmark = [pytest.mark.integration, pytest.mark.bi]

DASHBOARD_SLUGS = [
    "customer-value",
    "contribution",
    "retention",
    "relationship-managers",
    "customer-360",
]
# Superset's chart error panels and its toast for a failed request.
ERROR_SELECTOR = ", ".join(
    [
        '[data-test="error-tooltip"]',
        ".ant-alert-error",
        '[data-test="toast-container"] .toast--danger',
    ]
)
# Shown in place of a chart the layout names but the import did not link to it.
MISSING_CHART_TEXT = "There is no chart definition associated with this component"
CHART_DATA_DEADLINE_S = 120.0
SCREEN_WIDTH, SCREEN_HEIGHT = 1600, 1800


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def superset(first_run, test_settings: Settings) -> Iterator[str]:
    assert first_run.state == "success", first_run
    if not bi.BI_VENV.exists():
        pytest.fail("Superset is not installed: make bi-install")
    port = _free_port()
    bi.stop(test_settings)
    bi.set_up(test_settings)
    bi.serve(test_settings, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        bi.stop(test_settings)


@pytest.fixture(scope="module")
def session(superset: str, test_settings: Settings) -> Iterator[httpx.Client]:
    """A logged-in browser session: the same cookie serves the API calls and Chromium."""
    secret_value, _ = bi.admin_password(test_settings)
    with httpx.Client(base_url=superset, timeout=60) as client:
        token = client.post(
            "/api/v1/security/login",
            json={"username": bi.ADMIN_USER, "password": secret_value, "provider": "db"},
        ).json()["access_token"]
        csrf = client.get(
            "/api/v1/security/csrf_token/", headers={"Authorization": f"Bearer {token}"}
        ).json()["result"]
        login = client.post(
            "/login/",
            data={"username": bi.ADMIN_USER, "password": secret_value, "csrf_token": csrf},
        )
        assert login.status_code in (200, 302), login.text[:300]
        yield client


def _api(client: httpx.Client, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    return answer.json()["result"]


def test_the_connection_reads_the_marts_as_the_bi_reader(session: httpx.Client) -> None:
    databases = _api(session, "/api/v1/database/")
    assert len(databases) == 1
    connection = _api(session, f"/api/v1/database/{databases[0]['id']}/connection")
    assert connection["parameters"]["username"] == "cvw_bi_reader"
    # No password in Superset's metadata: libpq reads it from the reader's password file.
    assert connection["parameters"]["password"] is None
    assert connection["allow_dml"] is False


def test_assets_hold_no_password_and_no_server() -> None:
    for path in sorted((bi.ASSETS_DIR / "databases").glob("*.yaml")):
        uri = yaml.safe_load(path.read_text())["sqlalchemy_uri"]
        assert "@" not in uri and ":" not in uri.split("://", 1)[1], (path, uri)


def test_masked_names_are_all_the_bi_reader_sees(first_run, test_settings: Settings) -> None:
    # The connection's role cannot read the names in clear: Superset inherits that.
    reader_url = bi.warehouse_uri(test_settings).replace("postgresql+psycopg2", "postgresql")
    env_passfile = bi.write_reader_passfile(test_settings)
    with (
        psycopg.connect(reader_url, passfile=str(env_passfile)) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("select full_name from marts.customer_360 limit 1")


def test_every_dashboard_renders_every_chart_with_data(
    session: httpx.Client, superset: str, test_settings: Settings, tmp_path: Path
) -> None:
    dashboards = {entry["slug"]: entry for entry in _api(session, "/api/v1/dashboard/")}
    assert sorted(dashboards) == sorted(DASHBOARD_SLUGS)
    screenshots = test_settings.state_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    with chromium.page(tmp_path / "chromium") as page:
        page.call(
            "Network.setCookie",
            name="session",
            value=session.cookies["session"],
            url=superset,
            httpOnly=True,
        )
        for slug in DASHBOARD_SLUGS:
            charts = {
                chart["id"]: chart["slice_name"]
                for chart in _api(session, f"/api/v1/dashboard/{slug}/charts")
            }
            assert charts, f"{slug}: no charts"
            page.set_viewport(SCREEN_WIDTH, SCREEN_HEIGHT)
            answers = page.open(
                f"{superset}/superset/dashboard/{slug}/?standalone=1",
                expected_charts=set(charts),
                deadline_s=CHART_DATA_DEADLINE_S,
            )
            page.fit_height(SCREEN_WIDTH, SCREEN_HEIGHT)
            page.screenshot(screenshots / f"{slug}.png")
            failures += _chart_failures(slug, charts, answers)
            errors = page.evaluate(
                f"Array.from(document.querySelectorAll({ERROR_SELECTOR!r}))"
                ".map(node => node.innerText)"
            )
            if errors:
                failures.append(f"{slug}: error shown on the page: {errors}")
            if MISSING_CHART_TEXT in page.evaluate("document.body.innerText"):
                failures.append(f"{slug}: the layout holds a chart that is not linked")
    assert not failures, "\n".join(failures)


def _chart_failures(
    slug: str, charts: dict[int, str], answers: list[chromium.ChartResponse]
) -> list[str]:
    failures = []
    for chart_id, name in charts.items():
        own = [answer for answer in answers if answer.slice_id == chart_id]
        if not own:
            failures.append(f"{slug} / {name}: no chart data requested")
            continue
        for answer in own:
            queries = answer.body.get("result") or []
            if answer.status != 200:
                failures.append(f"{slug} / {name}: HTTP {answer.status} {answer.body}")
            elif not queries or any(query.get("rowcount", 0) == 0 for query in queries):
                failures.append(f"{slug} / {name}: no rows")
            elif any(query.get("error") for query in queries):
                failures.append(f"{slug} / {name}: {[q.get('error') for q in queries]}")
    return failures
