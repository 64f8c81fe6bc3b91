"""Which task failures Airflow should retry, and which must fail the task at once.

A failed quality gate is deterministic: the same data fails the same way, so a
retry only delays the alert and the on-call engineer's start. Such failures become
``AirflowFailException``, which Airflow never retries. Everything else (a refused
connection, a timeout) propagates unchanged and keeps the task's retries.
``expectations/`` stays free of Airflow; the translation happens here, in the task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from expectations.report import DataQualityError


@contextmanager
def gate_failures_not_retried() -> Iterator[None]:
    """Turn a :class:`DataQualityError` raised inside into ``AirflowFailException``."""
    try:
        yield
    except DataQualityError as error:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(error)) from error
