"""A real Airflow on this machine for the end-to-end tests and the Celery benchmark: its
environment (PostgreSQL metadata, the LocalExecutor, or the CeleryExecutor with a Redis
broker), its components as process groups with their logs, a REST client, and the waits an
operator does (healthy, DAG parsed, run succeeded). Nothing here imports Airflow or pytest: a
failure raises ``AssertionError`` with a diagnosis (the runs, the task logs' errors, the
components' logs)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from base64 import urlsafe_b64encode
from pathlib import Path
from typing import NoReturn

import httpx

from inclusion_data.settings import CHECKOUT

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180  # db migrate done: components up and heartbeating
RUN_SECONDS = 480  # unpause -> cron-slot run, triggered ingest run, asset-triggered publish run
INGEST, PUBLISH = "ingest_submissions", "publish_indicators"
USER, PASSWORD = "admin", secrets.token_urlsafe(16)
WORKERS = ("worker-1", "worker-2")
CELERY_CONFIG = "inclusion_data.orchestration.celery_worker.CELERY_CONFIG"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(
    tmp_path: Path,
    metadata_url: str,
    warehouse_url: str,
    port: int,
    broker_url: str | None = None,
    *,
    key: str,
) -> dict[str, str]:
    """Only these settings: the caller's AIRFLOW__ variables (conftest's SQLite) are left out.
    With a broker, the CeleryExecutor (its results in the metadata database), else the
    LocalExecutor. ``key`` is the warehouse's pseudonym key."""
    airflow_home = tmp_path / "airflow"
    airflow_home.mkdir()
    passwords = airflow_home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW", "INCLUSION_", "WAREHOUSE_URL"))
    }
    celery = {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG,
    }
    return {
        **inherited,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url,  # psycopg does async too; no asyncpg
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_FOLDER": str(CHECKOUT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(CHECKOUT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",  # the test unpauses them, as an operator
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": urlsafe_b64encode(os.urandom(32)).decode(),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),  # HS512 wants >= 64 bytes
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.5",
        "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "2",
        "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "600",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "GX_ANALYTICS_ENABLED": "false",
        "INCLUSION_HOME": str(tmp_path / "var"),
        "WAREHOUSE_URL": warehouse_url,
        "INCLUSION_PSEUDONYM_KEY": key,
        "INCLUSION_SETTLE_SECONDS": "0",
        **(celery if broker_url else {}),
    }


class Airflow:
    """The components as process groups, their logs, and a REST client once it is up."""

    def __init__(self, tmp_path: Path, env: dict[str, str], port: int):
        self.tmp_path, self.env = tmp_path, env
        self.base = f"http://127.0.0.1:{port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.client: httpx.Client | None = None

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def run(self, *args: str, timeout: float) -> None:
        with self.log(args[0]).open("w") as log:
            done = subprocess.run(
                [str(BIN / "airflow"), *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                start_new_session=True,
            )
        assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{self.tail(args[0])}"

    def start(self, name: str, *args: str, as_name: str | None = None, env: dict | None = None) -> None:
        """``airflow <name> <args>``, known as ``as_name`` (two workers are both ``celery``)."""
        key = as_name or name
        with self.log(key).open("w") as log:
            self.processes[key] = subprocess.Popen(
                [str(BIN / "airflow"), name, *args],
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_components(self, port: int) -> None:
        """The metadata database migrated, then the scheduler, the DAG processor and the API
        server (the workers are the caller's: how many, and when, is what it tests)."""
        self.run("db", "migrate", timeout=STARTUP_SECONDS)
        self.start("scheduler")
        self.start("dag-processor")
        self.start("api-server", "--port", str(port), "--host", "127.0.0.1")

    def start_worker(self, worker: str, names: Path) -> None:
        """A Celery worker recording ``worker`` as the hostname of the tasks it runs (``names``:
        the folder of ``worker_names``, put before the inherited PYTHONPATH, which keeps the
        worktree's ``include/`` before the editable install's)."""
        self.start(
            "celery", "worker", "--celery-hostname", f"{worker}@%h", "--skip-serve-logs",
            as_name=worker,
            env={"AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_name.name", "TEST_WORKER_NAME": worker,
                 "PYTHONPATH": os.pathsep.join(filter(None, [str(names), self.env.get("PYTHONPATH")]))},
        )  # fmt: skip

    def tail(self, name: str, chars: int = 4000) -> str:
        path = self.log(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {process.returncode}:\n{self.tail(name)}")

    def wait_healthy(self, deadline: float) -> None:
        health = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                health = httpx.get(f"{self.base}/api/v2/monitor/health", timeout=5).json()
                if all(
                    health[part]["status"] == "healthy"
                    for part in ("metadatabase", "scheduler", "dag_processor")
                ):
                    return
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                pass
            time.sleep(1)
        self.fail(f"Airflow did not become healthy: {health}")

    def login(self) -> None:
        response = httpx.post(
            f"{self.base}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=10
        )
        assert response.status_code == 201, response.text
        self.client = httpx.Client(
            base_url=f"{self.base}/api/v2",
            timeout=30,
            headers={"Authorization": f"Bearer {response.json()['access_token']}"},
        )

    def api(self, method: str, path: str, **kwargs) -> dict:
        response = self.client.request(method, path, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def wait_for_dag(self, dag_id: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.check_alive()
            if self.client.get(f"/dags/{dag_id}").status_code == 200:
                return
            time.sleep(1)
        errors = self.client.get("/importErrors").text
        self.fail(f"{dag_id} was never parsed; import errors: {errors}")

    def runs(self, dag_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"]

    def check_tasks(self) -> None:
        """Fail at the first failed try rather than wait out the DAGs' retry delays."""
        failing = self.api(
            "GET", "/dags/~/dagRuns/~/taskInstances", params={"state": ["up_for_retry", "failed"]}
        )["task_instances"]
        if failing:
            self.fail(
                "tasks failed: "
                + ", ".join(
                    f"{ti['dag_id']}.{ti['task_id']}[{ti['map_index']}] in {ti['dag_run_id']}"
                    for ti in failing
                )
            )

    def wait_for_run(self, dag_id: str, wanted, deadline: float) -> dict:
        """The first run of ``dag_id`` that ``wanted`` accepts, once it has succeeded."""
        while time.monotonic() < deadline:
            self.check_alive()
            self.check_tasks()
            for run in self.runs(dag_id):
                if wanted(run):
                    if run["state"] == "failed":
                        self.fail(f"{dag_id} run {run['dag_run_id']} failed")
                    if run["state"] == "success":
                        return run
            time.sleep(1)
        self.fail(f"no successful {dag_id} run as expected before the deadline")

    def task_state(self, run: dict, task_id: str) -> str | None:
        path = f"/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}/taskInstances/{task_id}"
        return self.api("GET", path)["state"]

    def loading_runs(self) -> set[str]:
        """Successful ingest runs that loaded something (``summarise`` succeeded, not skipped)."""
        return {
            run["dag_run_id"]
            for run in self.runs(INGEST)
            if run["state"] == "success" and self.task_state(run, "summarise") == "success"
        }

    def event_sources(self, run: dict) -> set[str]:
        """The ingest runs whose asset events started ``run``."""
        events = self.api("GET", f"/dags/{run['dag_id']}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents")
        return {event["source_run_id"] for event in events["asset_events"]}

    def diagnosis(self) -> str:
        parts = []
        if self.client is not None:
            for dag_id in (INGEST, PUBLISH):
                try:
                    for run in self.runs(dag_id):
                        states = self.api("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")
                        parts.append(
                            f"{dag_id} {run['dag_run_id']} {run['run_type']} {run['state']}: "
                            + ", ".join(
                                f"{ti['task_id']}[{ti['map_index']}]={ti['state']} (try {ti['try_number']})"
                                for ti in states["task_instances"]
                            )
                        )
                except Exception as exc:  # the diagnosis must not hide the failure it explains
                    parts.append(f"{dag_id}: runs unavailable ({exc!r})")
        logs = self.tmp_path / "airflow" / "logs"
        for task_log in sorted(logs.glob("dag_id=*/**/*.log"), key=lambda p: p.stat().st_mtime)[-8:]:
            parts.append(f"--- task log {task_log.relative_to(logs)}\n{_errors(task_log)}")
        for name in self.processes:
            parts.append(f"--- airflow {name}\n{self.tail(name, 2500)}")
        return "\n".join(parts)

    def fail(self, message: str) -> NoReturn:
        raise AssertionError(f"{message}\n{self.diagnosis()}")

    def stop(self) -> None:
        """SIGTERM every group, SIGKILL what is left; then the task processes (their own groups)
        still running with this AIRFLOW_HOME."""
        if self.client is not None:
            self.client.close()
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        marker = f"AIRFLOW_HOME={self.env['AIRFLOW_HOME']}".encode()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in _pids_with(marker):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            end = time.monotonic() + 10
            while _pids_with(marker) and time.monotonic() < end:
                time.sleep(0.2)


def _errors(task_log: Path) -> str:
    """The errors of a task's log (JSON lines), or its end when it has none."""
    text = task_log.read_text(errors="replace")
    found = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("level") in ("error", "critical"):
            details = [f"{d.get('exc_type')}: {d.get('exc_value')}" for d in record.get("error_detail") or []]
            found.append(f"{record.get('event')} {'; '.join(details)}"[:1500])
    return "\n".join(found) or text[-1500:]


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _pids_with(marker: bytes) -> list[int]:
    """Processes whose environment holds ``marker``: only ever the ones started here."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def worker_names(tmp_path: Path) -> Path:
    """A hostname callable for the workers (Airflow records it on each task instance), so the
    caller can tell which one ran a batch, both being on this machine."""
    folder = tmp_path / "pythonpath"
    folder.mkdir()
    (folder / "worker_name.py").write_text(
        "import os\n\n\ndef name():\n    return os.environ['TEST_WORKER_NAME']\n"
    )
    return folder


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def postgres_database(prefix: str = "inclusion_test"):
    """The URL of a PostgreSQL database created here and dropped afterwards (``TEST_POSTGRES_URL``
    or postgres@127.0.0.1:5432); a PostgreSQL that cannot be reached raises."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def redis_database():
    """A Redis database of the local server (127.0.0.1:6379) for a Celery broker,
    emptied before and after; a Redis that cannot be reached raises."""
    import redis

    index = 1 + secrets.randbelow(15)
    client = redis.Redis(host="127.0.0.1", port=6379, db=index)
    client.ping()
    client.flushdb()
    try:
        yield f"redis://127.0.0.1:6379/{index}"
    finally:
        client.flushdb()
        client.close()
