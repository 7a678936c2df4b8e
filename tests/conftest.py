"""Test set-up: every test runs against its own temporary INCLUSION_HOME; Airflow (imported
only after its environment is set here) keeps one SQLite metadata database per session."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="inclusion-tests-"))
os.environ["INCLUSION_HOME"] = str(_SESSION_HOME)
os.environ["INCLUSION_SETTLE_SECONDS"] = "0"
# strong enough for pseudonym.check_strength, and not secret
TEST_KEY = "test-key-not-secret-4c7e9a1f0b2d8e63"
os.environ["INCLUSION_PSEUDONYM_KEY"] = TEST_KEY
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ.pop("WAREHOUSE_URL", None)
for name in [n for n in os.environ if n.startswith("AIRFLOW__") and n != "AIRFLOW__LOGGING__LOGGING_LEVEL"]:
    del os.environ[name]
os.environ.pop("AIRFLOW_HOME", None)

from inclusion_data.orchestration import local_airflow  # noqa: E402
from inclusion_data.settings import Settings  # noqa: E402

local_airflow.configure(Settings.from_env())

import pytest  # noqa: E402

from airflow_stack import postgres_database  # noqa: E402
from inclusion_data.contracts.network import load_network  # noqa: E402
from inclusion_data.warehouse.engine import make_engine, migrate  # noqa: E402
from inclusion_data.warehouse.load import sync_reference  # noqa: E402
from smtp_server import smtp  # noqa: E402, F401 (a fixture: a real SMTP server for the test)


@contextmanager
def warehouse_database(kind: str, directory: Path):
    """A warehouse URL: an SQLite file in ``directory``, or a PostgreSQL database created here
    and dropped afterwards. A PostgreSQL that cannot be reached fails the test."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'var' / 'warehouse.sqlite'}"
        return
    with postgres_database() as url:
        yield url


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def warehouse_url(request, tmp_path):
    """Every warehouse test runs on the embedded SQLite and on PostgreSQL."""
    with warehouse_database(request.param, tmp_path) as url:
        yield url


def prepared_settings(home: Path, url: str, monkeypatch) -> Settings:
    monkeypatch.setenv("INCLUSION_HOME", str(home))
    monkeypatch.setenv("WAREHOUSE_URL", url)
    current = Settings.from_env()
    current.make_dirs()
    migrate(current.warehouse_url)
    sync_reference(make_engine(current.warehouse_url), load_network())
    return current


@pytest.fixture
def settings(tmp_path, monkeypatch, warehouse_url) -> Settings:
    """A fresh runtime home with a migrated warehouse holding the reference data."""
    return prepared_settings(tmp_path / "var", warehouse_url, monkeypatch)


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.warehouse_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def airflow_db():
    local_airflow.init_metadata_db()
    return local_airflow.load_dags()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules with end-to-end (slow) tests first: the xdist workers (one module each at a
    time) start on the long runs, and the short tests fill the gaps at the end instead of one
    worker finishing a long module alone."""
    long = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in long)
