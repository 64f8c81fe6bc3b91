"""Celery settings of the Airflow workers that run the nightly DAG's tasks.

Airflow's own Celery settings, plus one module the worker imports once at
start-up (``cvw.celery_preload``), before it forks the processes that run the
tasks. Airflow selects them with
``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=cvw.celery_worker.CELERY_CONFIG``.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG_OPTIONS = "cvw.celery_worker.CELERY_CONFIG"

CELERY_CONFIG: dict[str, Any] = {
    **DEFAULT_CELERY_CONFIG,
    "imports": ("cvw.celery_preload",),
}
