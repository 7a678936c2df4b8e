"""Airflow on the embedded default: SQLite metadata under ``var/airflow``, this checkout's
``dags/`` and ``plugins/``. Used by ``make demo``, ``make up`` and the tests; anything already
set in the environment wins, so a deployment configures Airflow its own way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from inclusion_data.settings import CHECKOUT, Settings


def configure(settings: Settings | None = None) -> dict[str, str]:
    """Set Airflow's environment (before ``airflow`` is imported) and return it."""
    settings = settings or Settings.from_env()
    home = settings.home / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    defaults = {
        "INCLUSION_HOME": str(settings.home),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(CHECKOUT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(CHECKOUT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "GX_ANALYTICS_ENABLED": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in defaults}


def init_metadata_db() -> None:
    from airflow.utils.db import initdb

    initdb()


def load_dags() -> dict:
    """The DAGs of ``dags/``; fails loudly on any import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags


if __name__ == "__main__":  # python -m inclusion_data.orchestration.local_airflow standalone|<airflow args>
    configure()
    # standalone starts its components as `airflow` subprocesses: they must find this venv's
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    os.execv(str(Path(bin_dir) / "airflow"), ["airflow", *sys.argv[1:]])
