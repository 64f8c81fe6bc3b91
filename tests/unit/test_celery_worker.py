"""The Celery workers import once, before they fork, what each task would import again."""

from __future__ import annotations

import os
import subprocess
import sys

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

from cvw.celery_worker import CELERY_CONFIG, CELERY_CONFIG_OPTIONS
from cvw.config import PROJECT_ROOT
from tests.unit.test_docker_compose import _environment


def test_the_workers_keep_airflows_celery_settings_and_add_the_preload():
    assert {key: CELERY_CONFIG[key] for key in DEFAULT_CELERY_CONFIG} == DEFAULT_CELERY_CONFIG
    assert CELERY_CONFIG["imports"] == ("cvw.celery_preload",)


def test_compose_and_the_celery_test_select_these_settings():
    for service in ("airflow-scheduler", "airflow-worker"):
        environment = _environment(service)
        assert environment["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == CELERY_CONFIG_OPTIONS
    celery_test = PROJECT_ROOT / "tests" / "integration" / "test_celery_executor.py"
    selected = '"AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG_OPTIONS'
    assert selected in celery_test.read_text()


def test_a_worker_started_with_these_settings_holds_what_a_task_process_imports():
    # A fresh interpreter: this test session has imported most of these already.
    check = (
        "import sys\n"
        "from airflow.providers.celery.executors.celery_executor import app\n"
        "assert 'cosmos.plugin.airflow3' not in sys.modules\n"
        "app.loader.init_worker()\n"
        "wanted = ('fastapi', 'cosmos.plugin.airflow3', 'cosmos.operators.watcher',\n"
        "          'airflow.dag_processing.dagbag')\n"
        "print(sorted(m for m in wanted if m not in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG_OPTIONS,
        },
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
