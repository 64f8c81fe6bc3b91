"""What each task a Celery worker runs would otherwise import again: imported
once in the worker, before it forks the processes that run the tasks.

Every task process parses the DAG file again and, before that, loads Airflow's
plugins. Without this module a task process imported, per task, Cosmos' plugin
(its dbt docs view pulls in FastAPI: 0.28 s of CPU), Airflow's DagBag (0.07 s)
and the Cosmos modules the DAG file renders its task group with (0.16 s): the
CPU a task spent before running went from 0.75 s to 0.23 s (median of seven, on
a forked copy of a worker: scripts/dag_parse_cost.py with and without
--preload). A forked process inherits these modules, as it inherits those
Airflow's Celery provider already preloads (its ``on_celery_import_modules``).
"""

from __future__ import annotations

import gc
from importlib import import_module

# Imported by name: Cosmos ships no type information for mypy to read.
PRELOADED = (
    # What the task process's parse (Airflow's task runner) and the DAG file import.
    "airflow.sdk.execution_time.task_runner",
    "airflow.dag_processing.dagbag",
    "airflow.sdk.definitions.decorators",
    "airflow.providers.standard.decorators.python",
    "cosmos.airflow.task_group",
    "cosmos.converter",
    "cosmos.operators.watcher",
    # What loading the plugins (the task's listeners) imports: Cosmos' plugin.
    "cosmos.plugin.airflow3",
)

for _module in PRELOADED:
    import_module(_module)

# As Airflow's own preload does: the objects imported here stay out of the
# collector's reach, so a collection in a forked process does not touch (and
# copy) the pages it shares with the worker. Airflow unfreezes them once the
# worker is ready.
gc.freeze()
