"""What the DAG files call: the functions of ``tasks``, imported on first use.

Airflow parses DAG files continually (the DAG processor) and again at every task start, so
a DAG file must import little; ``tasks`` brings pandas, SQLAlchemy and more. Attribute access
here imports it only when a task actually runs.
"""

from __future__ import annotations

import importlib


def __getattr__(name: str):
    return getattr(importlib.import_module("inclusion_data.orchestration.tasks"), name)
