"""The Celery workers' configuration (``[celery] celery_config_options``): Airflow's own, and
a warm-up before the worker forks its pool.

Airflow runs every task in a process forked from a pool process of the worker, and each of
them imported the Task SDK, this package and GX, built a GX context and indexed the SIRUTA
localities again: about 7 CPU-s before a batch's first file, most of a small batch's cost.
Done once in the worker's main process (Celery's ``worker_init``, sent before the pool
starts), the pool processes and every task process they fork inherit it. Only imports and
in-memory objects: no connection, no thread is made before the fork. The scheduler imports
this module too (to configure its Celery app) and never sends ``worker_init``, so it pays
nothing. The warm-up also closes a gap in the supervisors' waiting for a finished task
process (``task_exit``): up to 5 s of a worker's time after one task in three.
"""

from __future__ import annotations

import logging
import time

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

CELERY_CONFIG = DEFAULT_CELERY_CONFIG
log = logging.getLogger(__name__)


@worker_init.connect
def warm_up(**_: object) -> None:
    started = time.process_time()
    import airflow.dag_processing.dagbag  # noqa: F401  (with which it parses its DAG file)
    import airflow.sdk.execution_time.task_runner  # noqa: F401  (what the task process runs)

    import inclusion_data.orchestration.tasks  # noqa: F401
    from inclusion_data.orchestration.collector import freeze_for_forks
    from inclusion_data.orchestration.task_exit import reap_promptly
    from inclusion_data.quality import validation

    reap_promptly()  # each task's worker free the moment its process exits
    validation.warm_up()  # GX, its suites, the localities' index (~0.4 CPU-s of it)
    freeze_for_forks()  # last: what was loaded is out of the task processes' collections
    spent = time.process_time() - started
    log.info("warmed up for tasks in %.1f CPU-s: the Task SDK, the package, GX, localities", spent)
