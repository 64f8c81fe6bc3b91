"""Failure alerts: what the webhook and the e-mail carry, and that sending never fails a run.

Each test calls a notifier the way Airflow does, with a callback context, and
reads what a local webhook or mail server (started here) received.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from airflow.sdk import DAG

from cvw import alerts
from cvw.alerts import RunFailureNotifier, TaskFailureNotifier, first_error_line
from cvw.config import load_settings
from tests.alert_sinks import body_text, free_port, mail_sink, webhook_sink

ALERT_VARIABLES = (
    "ALERT_SMTP_CONN",
    "ALERT_EMAIL_TO",
    "ALERT_EMAIL_FROM",
    "ALERT_WEBHOOK_URL",
    "ALERT_WEBHOOK_TIMEOUT_S",
)


@pytest.fixture(autouse=True)
def no_alert_settings(monkeypatch):
    """Each test configures exactly the channels it names."""
    for name in ALERT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class RecordedLog:
    """Stands in for the notifier's logger, so a test can read what it logged."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, message: str, *args: object) -> None:
        self.errors.append(message % args)


def _notifier(kind: type[alerts._AlertNotifier]) -> tuple[alerts._AlertNotifier, RecordedLog]:
    notifier, log = kind(), RecordedLog()
    notifier._log = log
    return notifier, log


def _task_context(exception: BaseException | str | None) -> dict:
    """What Airflow hands a task's failure callback, reduced to what an alert reads."""
    return {
        # A real DAG: the SMTP provider renders the connection's sender with its templating.
        "dag": DAG(dag_id="customer_value_nightly", schedule=None),
        "ti": SimpleNamespace(
            dag_id="customer_value_nightly",
            task_id="extract_crm",
            try_number=3,
            run_id="scheduled__2026-11-01T02:00:00+00:00",
        ),
        "run_id": "scheduled__2026-11-01T02:00:00+00:00",
        "logical_date": datetime(2026, 11, 1, 2, tzinfo=UTC),
        "exception": exception,
    }


CRM_DOWN = RuntimeError(
    "CRM API contacts: giving up after 5 attempts on http://crm/api/v1/contacts\n"
    "  second line of detail"
)


def test_the_webhook_gets_the_dag_logical_date_task_and_first_error_line(monkeypatch):
    with webhook_sink() as hook:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        notifier, log = _notifier(TaskFailureNotifier)
        notifier.notify(_task_context(CRM_DOWN))
    assert log.errors == []
    assert hook.content_types == ["application/json"]
    assert hook.posts == [
        {
            "dag_id": "customer_value_nightly",
            "logical_date": "2026-11-01T02:00:00+00:00",
            "run_id": "scheduled__2026-11-01T02:00:00+00:00",
            "reason": "task_failure",
            "failed_tasks": [
                {
                    "task_id": "extract_crm",
                    "try_number": 3,
                    "error": "RuntimeError: CRM API contacts: giving up after 5 attempts"
                    " on http://crm/api/v1/contacts",
                }
            ],
            "text": (
                "[customer_value_nightly] run of 2026-11-01T02:00:00+00:00 failed: extract_crm\n"
                "DAG:          customer_value_nightly\n"
                "Logical date: 2026-11-01T02:00:00+00:00\n"
                "Run:          scheduled__2026-11-01T02:00:00+00:00\n"
                "Failed task:  extract_crm (try 3)\n"
                "Error:        RuntimeError: CRM API contacts: giving up after 5 attempts"
                " on http://crm/api/v1/contacts"
            ),
        }
    ]


def test_the_email_goes_through_the_smtp_connection_to_every_recipient(monkeypatch):
    with mail_sink() as mail:
        monkeypatch.setenv(
            "AIRFLOW_CONN_ALERT_SMTP_UNIT", mail.connection_json("warehouse@bank.example")
        )
        monkeypatch.setenv("ALERT_SMTP_CONN", "alert_smtp_unit")
        monkeypatch.setenv("ALERT_EMAIL_TO", "ops@bank.example; data-oncall@bank.example")
        notifier, log = _notifier(TaskFailureNotifier)
        # Braces in an error message are text, not a template to render.
        notifier.notify(_task_context(ValueError("unexpected value {{ ds }} in column <tier>")))
    assert log.errors == []
    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert message["From"] == "warehouse@bank.example"
    assert message["To"] == "ops@bank.example, data-oncall@bank.example"
    assert message["Subject"] == (
        "[customer_value_nightly] run of 2026-11-01T02:00:00+00:00 failed: extract_crm"
    )
    body = body_text(message)
    assert "Logical date: 2026-11-01T02:00:00+00:00" in body
    assert "Failed task:  extract_crm (try 3)" in body
    assert "Error:        ValueError: unexpected value {{ ds }} in column <tier>" in body


def test_alert_email_from_overrides_the_connections_sender(monkeypatch):
    with mail_sink() as mail:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_SMTP_UNIT", mail.connection_json("a@bank.example"))
        monkeypatch.setenv("ALERT_SMTP_CONN", "alert_smtp_unit")
        monkeypatch.setenv("ALERT_EMAIL_TO", "ops@bank.example")
        monkeypatch.setenv("ALERT_EMAIL_FROM", "night-runs@bank.example")
        TaskFailureNotifier().notify(_task_context(CRM_DOWN))
    assert [message["From"] for message in mail.messages] == ["night-runs@bank.example"]


def test_nothing_configured_sends_nothing_and_logs_nothing(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(alerts, "send_email", lambda *args: sent.append("email"))
    monkeypatch.setattr(alerts, "post_webhook", lambda *args: sent.append("webhook"))
    notifier, log = _notifier(TaskFailureNotifier)
    notifier.notify(_task_context(CRM_DOWN))
    assert sent == []
    assert log.errors == []


def test_half_configured_email_is_logged_and_the_webhook_still_sent(monkeypatch):
    with webhook_sink() as hook:
        monkeypatch.setenv("ALERT_SMTP_CONN", "alert_smtp_unit")
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        notifier, log = _notifier(TaskFailureNotifier)
        notifier.notify(_task_context(CRM_DOWN))
    assert log.errors == [
        "Failure alert by e-mail not sent: set both ALERT_SMTP_CONN and ALERT_EMAIL_TO"
    ]
    assert len(hook.posts) == 1


def test_a_webhook_error_is_logged_without_its_url_and_never_raised(monkeypatch):
    with webhook_sink(status=500, path="/hooks/T000/SECRET-TOKEN") as hook:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        notifier, log = _notifier(TaskFailureNotifier)
        notifier.notify(_task_context(CRM_DOWN))
    assert len(hook.posts) == 1
    assert log.errors == ["Failure alert by webhook not sent: HTTP 500"]


def test_unreachable_mail_server_and_webhook_are_logged_and_never_raised(monkeypatch):
    closed = free_port()
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_SMTP_UNIT",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": closed,
                "extra": {"from_email": "w@bank.example", "disable_tls": True, "disable_ssl": True},
            }
        ),
    )
    monkeypatch.setenv("ALERT_SMTP_CONN", "alert_smtp_unit")
    monkeypatch.setenv("ALERT_EMAIL_TO", "ops@bank.example")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"http://127.0.0.1:{closed}/hooks/SECRET-TOKEN")
    notifier, log = _notifier(TaskFailureNotifier)
    notifier.notify(_task_context(CRM_DOWN))
    assert len(log.errors) == 2
    assert log.errors[0].startswith(
        "Failure alert by e-mail (connection alert_smtp_unit) not sent: ConnectionRefusedError"
    )
    assert log.errors[1] == "Failure alert by webhook not sent: ConnectError"


def test_the_run_callback_stays_quiet_when_a_task_failure_was_already_alerted(monkeypatch):
    with webhook_sink() as hook:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        context = {**_task_context(None), "reason": "task_failure"}
        del context["exception"]
        RunFailureNotifier().notify(context)
    assert hook.posts == []


def test_the_run_callback_alerts_a_run_that_hit_its_time_limit(monkeypatch):
    with webhook_sink() as hook:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        context = {**_task_context(None), "reason": "timed_out"}
        del context["exception"]
        RunFailureNotifier().notify(context)
    assert [post["reason"] for post in hook.posts] == ["timed_out"]
    assert hook.posts[0]["failed_tasks"] == [
        {
            "task_id": "extract_crm",
            "try_number": 3,
            "error": "the run exceeded its time limit (dagrun_timeout);"
            " unfinished tasks were stopped",
        }
    ]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RuntimeError("first\nsecond"), "RuntimeError: first"),
        (ValueError("\n\n   padded line  \nrest"), "ValueError: padded line"),
        (KeyError("tier"), "KeyError: 'tier'"),
        (TimeoutError(), "TimeoutError"),
        ("Task was killed externally\nmore", "Task was killed externally"),
        (None, "no exception was recorded; see the task's log"),
    ],
)
def test_first_error_line(error, expected):
    assert first_error_line(error) == expected


def test_alert_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ALERT_SMTP_CONN", "alert_smtp")
    monkeypatch.setenv("ALERT_EMAIL_TO", " ops@bank.example ,, data@bank.example;risk@bank.example")
    monkeypatch.setenv("ALERT_WEBHOOK_TIMEOUT_S", "2.5")
    settings = load_settings()
    assert settings.alert_smtp_conn_id == "alert_smtp"
    assert settings.alert_email_to == ("ops@bank.example", "data@bank.example", "risk@bank.example")
    assert settings.alert_email_from == ""
    assert settings.alert_webhook_url == ""
    assert settings.alert_webhook_timeout_s == 2.5


def test_a_webhook_timeout_that_is_not_positive_is_refused(monkeypatch):
    monkeypatch.setenv("ALERT_WEBHOOK_TIMEOUT_S", "0")
    with pytest.raises(ValueError, match="ALERT_WEBHOOK_TIMEOUT_S must be a positive float"):
        load_settings()


def test_called_as_airflow_calls_a_run_callback_with_a_serialized_dag(monkeypatch):
    """`airflow dags test` hands the run callback a DAG that cannot render templates."""
    with webhook_sink() as hook:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", hook.url)
        context = {**_task_context(None), "reason": "all_tasks_deadlocked"}
        context["dag"] = SimpleNamespace(dag_id="customer_value_nightly")
        del context["exception"]
        RunFailureNotifier()(context)
    assert [post["failed_tasks"][0]["error"] for post in hook.posts] == [
        "no task could run any more (deadlock); the run was failed"
    ]
