"""A failed run tells operators which DAG, logical date and task failed, and why.

One cheap failing run: the configured BI reader role does not exist, so the
run's first task (`check_roles`) fails at once, without retries, before
anything is extracted. The alerts go to a mail server and a webhook started
here; the error line they carry is compared with the one the run's console
log holds for that task.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from cvw import runner
from tests.alert_sinks import body_text, mail_sink, webhook_sink

pytestmark = pytest.mark.integration

# An hour before the shared run's moment: a run of its own that lands nothing.
FAILED_MOMENT = datetime(2026, 11, 1, 5, tzinfo=UTC)
LOGICAL_DATE = "2026-11-01T05:00:00+00:00"
MISSING_ROLE = "cvw_alert_test_missing_reader"
ERROR_LINE = (
    f"AirflowFailException: role(s) {MISSING_ROLE} do not exist on the warehouse server;"
    " create them (cvw db roles-sql) or fix"
    " MARTS_READER_ROLE / MARTS_PII_READER_ROLE"
)


@pytest.fixture(scope="module")
def alerted_run(test_settings):
    runner.dbt_parse(test_settings)
    runner.airflow_db_migrate(test_settings)
    settings = dataclasses.replace(test_settings, marts_reader_role=MISSING_ROLE)
    with mail_sink() as mail, webhook_sink() as hook, pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW_CONN_ALERT_SMTP", mail.connection_json("warehouse@bank.example"))
        env.setenv("ALERT_SMTP_CONN", "alert_smtp")
        env.setenv("ALERT_EMAIL_TO", "ops@bank.example")
        env.setenv("ALERT_WEBHOOK_URL", hook.url)
        result = runner.run_dag(settings, FAILED_MOMENT, progress=lambda _: None)
    return result, mail.messages, hook.posts


def test_the_run_fails_at_its_first_task(alerted_run):
    result, _, _ = alerted_run
    assert result.state == "failed"
    assert result.task_states["check_roles"] == "failed"
    assert result.task_states["extract_crm"] == "upstream_failed"
    assert result.task_errors()["check_roles"].message == ERROR_LINE


def test_one_email_names_the_dag_logical_date_failed_task_and_error(alerted_run):
    _, messages, _ = alerted_run
    # One failed task, one alert: the run's own callback leaves task failures to the task.
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "ops@bank.example"
    assert message["Subject"] == (
        f"[customer_value_nightly] run of {LOGICAL_DATE} failed: check_roles"
    )
    body = body_text(message)
    assert "DAG:          customer_value_nightly" in body
    assert f"Logical date: {LOGICAL_DATE}" in body
    assert "Failed task:  check_roles (try 1)" in body
    assert f"Error:        {ERROR_LINE}" in body


def test_the_webhook_gets_the_same_failure_as_json(alerted_run):
    result, _, posts = alerted_run
    assert len(posts) == 1
    post = posts[0]
    assert post["dag_id"] == "customer_value_nightly"
    assert post["logical_date"] == LOGICAL_DATE
    assert post["reason"] == "task_failure"
    failed = [{"task_id": "check_roles", "try_number": 1, "error": ERROR_LINE}]
    assert post["failed_tasks"] == failed
    # The same error line the run's console log holds for the task.
    assert post["failed_tasks"][0]["error"] == result.task_errors()["check_roles"].message
