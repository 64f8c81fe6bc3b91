"""Failure alerts: operators hear about a failed run by e-mail, webhook, or both.

Airflow 3 hands a task's exception only to that task's own failure callback; the
DAG-level failure callback gets the run and the last failed task instance, but
no exception. So each task that fails for good (retries spent, or failed
without retries) sends its own alert naming the task and the first line of its
error (``TaskFailureNotifier``, every task's ``on_failure_callback``), and the
DAG's ``on_failure_callback`` (``RunFailureNotifier``) alerts only when the run
failed without a task failing: the run's time limit or a deadlock.

Which channels are used is read from the environment (``cvw.config``) when an
alert is sent: nothing configured, nothing sent. Sending never raises: a mail
server or webhook that is down is logged and the run's own failure stands.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseNotifier

from cvw.config import Settings, load_settings

if TYPE_CHECKING:
    from airflow.sdk import Context

# Why Airflow failed a run without a task failing (the DAG callback's `reason`).
_RUN_FAILURE_REASONS = {
    "timed_out": "the run exceeded its time limit (dagrun_timeout); unfinished tasks were stopped",
    "all_tasks_deadlocked": "no task could run any more (deadlock); the run was failed",
}


@dataclass(frozen=True)
class FailureAlert:
    """What operators are told about one failure."""

    dag_id: str
    logical_date: str
    run_id: str
    task_id: str
    try_number: int | None
    error: str
    reason: str

    @property
    def subject(self) -> str:
        return f"[{self.dag_id}] run of {self.logical_date} failed: {self.task_id}"

    @property
    def text(self) -> str:
        attempt = f" (try {self.try_number})" if self.try_number else ""
        return "\n".join(
            [
                f"DAG:          {self.dag_id}",
                f"Logical date: {self.logical_date}",
                f"Run:          {self.run_id}",
                f"Failed task:  {self.task_id}{attempt}",
                f"Error:        {self.error}",
            ]
        )

    @property
    def html(self) -> str:
        # The provider sends an HTML body; the text block keeps its alignment.
        return f"<pre>{html.escape(self.text)}</pre>"

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body; `text` suits chat webhooks that show one field."""
        return {
            "dag_id": self.dag_id,
            "logical_date": self.logical_date,
            "run_id": self.run_id,
            "reason": self.reason,
            "failed_tasks": [
                {"task_id": self.task_id, "try_number": self.try_number, "error": self.error}
            ],
            "text": f"{self.subject}\n{self.text}",
        }


def first_error_line(error: BaseException | str | None) -> str:
    """The exception's class and the first non-blank line of its message."""
    if error is None:
        return "no exception was recorded; see the task's log"
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not isinstance(error, BaseException):
        return lines[0] if lines else "no error message was recorded; see the task's log"
    name = type(error).__name__
    return f"{name}: {lines[0]}" if lines else name


def _logical_date(context: Mapping[str, Any]) -> str:
    moment = context.get("logical_date")
    if moment is None and context.get("dag_run") is not None:
        # A run without a logical date (asset-triggered) still has its run_after.
        moment = getattr(context["dag_run"], "run_after", None)
    return moment.isoformat() if isinstance(moment, datetime) else str(moment)


def _alert(context: Mapping[str, Any], error: str, reason: str) -> FailureAlert:
    ti = context.get("ti")
    dag = context.get("dag")
    return FailureAlert(
        dag_id=str(getattr(dag, "dag_id", None) or getattr(ti, "dag_id", "unknown DAG")),
        logical_date=_logical_date(context),
        run_id=str(context.get("run_id") or getattr(ti, "run_id", "")),
        task_id=getattr(ti, "task_id", None) or "no task",
        try_number=getattr(ti, "try_number", None),
        error=error,
        reason=reason,
    )


def send_email(alert: FailureAlert, settings: Settings, context: Mapping[str, Any]) -> None:
    """Mail the alert through the Airflow SMTP connection ``ALERT_SMTP_CONN`` names."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    # Subject and body are given, so the provider renders no template from them:
    # an error message holding `{{` reaches the operator as it was raised.
    SmtpNotifier(
        to=list(settings.alert_email_to),
        from_email=settings.alert_email_from or None,
        subject=alert.subject,
        html_content=alert.html,
        smtp_conn_id=settings.alert_smtp_conn_id,
    ).notify(cast("Context", context))


def post_webhook(alert: FailureAlert, settings: Settings) -> None:
    """POST the alert as JSON to ``ALERT_WEBHOOK_URL``; a non-2xx answer is an error."""
    import httpx

    response = httpx.post(
        settings.alert_webhook_url, json=alert.payload(), timeout=settings.alert_webhook_timeout_s
    )
    response.raise_for_status()


def _webhook_error(error: Exception) -> str:
    # Webhook URLs usually carry their secret in the path, and httpx names the URL
    # in its messages: log what went wrong, never where.
    import httpx

    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    return type(error).__name__


class _AlertNotifier(BaseNotifier):
    """Sends an alert through every configured channel and never raises."""

    def alert(self, context: Mapping[str, Any]) -> FailureAlert | None:
        raise NotImplementedError

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # Alerts have no template fields. Rendering them anyway needs the DAG's
        # templating, which the serialized DAG `airflow dags test` hands the run
        # callback lacks: the callback would fail before sending anything.
        return None

    def notify(self, context: Any) -> None:
        try:
            settings = load_settings()
            alert = self.alert(context)
        except Exception as error:
            self.log.error("Failure alert not sent: %s: %s", type(error).__name__, error)
            return
        if alert is None:
            return
        if settings.alert_smtp_conn_id and settings.alert_email_to:
            try:
                send_email(alert, settings, context)
            except Exception as error:
                self.log.error(
                    "Failure alert by e-mail (connection %s) not sent: %s: %s",
                    settings.alert_smtp_conn_id,
                    type(error).__name__,
                    error,
                )
        elif settings.alert_smtp_conn_id or settings.alert_email_to:
            self.log.error(
                "Failure alert by e-mail not sent: set both ALERT_SMTP_CONN and ALERT_EMAIL_TO"
            )
        if settings.alert_webhook_url:
            try:
                post_webhook(alert, settings)
            except Exception as error:
                self.log.error("Failure alert by webhook not sent: %s", _webhook_error(error))


class TaskFailureNotifier(_AlertNotifier):
    """A task's ``on_failure_callback``: alerts with the task and its error's first line."""

    def alert(self, context: Mapping[str, Any]) -> FailureAlert:
        return _alert(context, first_error_line(context.get("exception")), "task_failure")


class RunFailureNotifier(_AlertNotifier):
    """The DAG's ``on_failure_callback``: alerts when the run failed without a task failing.

    A run that failed because a task failed was already reported by that task's
    own alert, which alone knows the error.
    """

    def alert(self, context: Mapping[str, Any]) -> FailureAlert | None:
        reason = str(context.get("reason") or "")
        if reason == "task_failure":
            return None
        error = _RUN_FAILURE_REASONS.get(reason, f"the run was failed ({reason or 'no reason'})")
        return _alert(context, error, reason)
