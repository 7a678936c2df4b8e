"""The pipeline under a real Airflow scaled out as in production: `airflow scheduler`,
`api-server`, `dag-processor` and two `celery worker` processes, the CeleryExecutor with the
Redis broker on 127.0.0.1:6379, PostgreSQL for Airflow's metadata and the warehouse, driven
through the REST API as an operator would. Both DAGs are unpaused, the demo's first round of
files is dropped in the inbox, `ingest_submissions` is triggered, and its asset event must
start a `publish_indicators` run that fills the warehouse's indicators and publishes them.
Both workers must have taken batches, and the warehouse must equal what one process
(`dag.test()`) makes of the same files."""

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

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from conftest import TEST_KEY, prepared_settings, warehouse_database
from inclusion_data.demo import drop_files
from inclusion_data.demo.sample_data import generate
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.settings import CHECKOUT
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import make_engine

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180  # db migrate done: components up and heartbeating
RUN_SECONDS = 480  # unpause -> cron-slot run, triggered ingest run, asset-triggered publish run
INGEST, PUBLISH = "ingest_submissions", "publish_indicators"
USER, PASSWORD = "admin", secrets.token_urlsafe(16)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(
    tmp_path: Path, metadata_url: str, warehouse_url: str, port: int, broker_url: str | None = None
) -> dict[str, str]:
    """Only this test's settings: conftest's AIRFLOW__ variables (SQLite) are left out. With a
    broker, the CeleryExecutor (its results in the metadata database), else the LocalExecutor."""
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
        "INCLUSION_PSEUDONYM_KEY": TEST_KEY,
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

    def tail(self, name: str, chars: int = 4000) -> str:
        path = self.log(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                pytest.fail(f"airflow {name} exited with {process.returncode}:\n{self.tail(name)}")

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

    def fail(self, message: str) -> None:
        pytest.fail(f"{message}\n{self.diagnosis()}")

    def stop(self) -> None:
        """SIGTERM every group, SIGKILL what is left; then the task processes (their own groups)
        still running with this test's AIRFLOW_HOME."""
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
    """Processes whose environment holds ``marker``: only ever the ones this test started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_two_celery_workers_ingest_and_the_asset_event_publishes(tmp_path, airflow_db, monkeypatch):
    port = _free_port()
    with (
        warehouse_database("postgresql", tmp_path) as metadata_url,
        warehouse_database("postgresql", tmp_path) as warehouse_url,
        _redis_database() as broker_url,
    ):
        env = {
            **_environment(tmp_path, metadata_url, warehouse_url, port, broker_url),
            "INCLUSION_BATCH_SIZE": "4",
        }
        home = Path(env["INCLUSION_HOME"])
        airflow = Airflow(tmp_path, env, port)
        try:
            airflow.run("db", "migrate", timeout=STARTUP_SECONDS)
            airflow.start("scheduler")
            airflow.start("dag-processor")
            airflow.start("api-server", "--port", str(port), "--host", "127.0.0.1")
            names = _worker_names(tmp_path)
            for worker in WORKERS:
                airflow.start(
                    "celery", "worker", "--celery-hostname", f"{worker}@%h", "--skip-serve-logs",
                    as_name=worker,
                    env={"AIRFLOW__CORE__HOSTNAME_CALLABLE": "worker_name.name", "TEST_WORKER_NAME": worker,
                         "PYTHONPATH": str(names)},
                )  # fmt: skip
            started = time.monotonic()
            samples = tmp_path / "samples"
            generate(samples)  # meanwhile the components start
            sent = sum(1 for p in (samples / "round1").rglob("*") if p.is_file())

            airflow.wait_healthy(started + STARTUP_SECONDS)
            airflow.login()
            for dag_id in (INGEST, PUBLISH):
                airflow.wait_for_dag(dag_id, started + STARTUP_SECONDS)
            deadline = time.monotonic() + RUN_SECONDS

            # Unpausing queues each DAG's latest cron slot (catchup=False). Ingest's runs on the
            # empty inbox: it loads nothing, so `summarise` skips and no asset event is emitted.
            airflow.api("PATCH", f"/dags/{PUBLISH}", json={"is_paused": False})
            airflow.api("PATCH", f"/dags/{INGEST}", json={"is_paused": False})
            slot = airflow.wait_for_run(INGEST, lambda run: run["run_type"] == "scheduled", deadline)
            assert airflow.task_state(slot, "summarise") == "skipped"

            drop_files(samples / "round1", home / "inbox")
            triggered = airflow.api("POST", f"/dags/{INGEST}/dagRuns", json={"logical_date": None})
            airflow.wait_for_run(INGEST, lambda run: run["dag_run_id"] == triggered["dag_run_id"], deadline)
            # A cron slot passing meanwhile may queue a run that goes first (it sorts on run_after)
            # and loads the files itself: the publish run to wait for is the one the loader started.
            loaders = airflow.loading_runs()
            publish = airflow.wait_for_run(
                PUBLISH,
                lambda run: (
                    run["run_type"] == "asset_triggered" and bool(airflow.event_sources(run) & loaders)
                ),
                deadline,
            )
            elapsed = time.monotonic() - started
            events = airflow.api(
                "GET", f"/dags/{PUBLISH}/dagRuns/{publish['dag_run_id']}/upstreamAssetEvents"
            )
            later_slots = {
                run["dag_run_id"] for run in airflow.runs(INGEST) if run["run_type"] == "scheduled"
            } - {slot["dag_run_id"]}
            mapped = [
                ti
                for loader in loaders
                for ti in airflow.api("GET", f"/dags/{INGEST}/dagRuns/{loader}/taskInstances")[
                    "task_instances"
                ]
                if ti["task_id"] == "process_batch"
            ]
            batches_by = {ti["hostname"] for ti in mapped}
        finally:
            airflow.stop()

        print(f"\ncomponents up to published indicators: {elapsed:.0f} s; files loaded by {loaders}")
        print(f"{len(mapped)} batches of 4 files, run by {sorted(batches_by)}")
        assert len(mapped) >= 4 and batches_by == set(WORKERS), (len(mapped), batches_by)
        assert triggered["run_type"] == "manual"
        assert loaders == {triggered["dag_run_id"]} or (len(loaders) == 1 and loaders <= later_slots), loaders
        assert {(e["name"], e["source_dag_id"], e["source_task_id"]) for e in events["asset_events"]} == {
            ("inclusion_warehouse_submissions", INGEST, "summarise")
        }, events

        engine = create_engine(warehouse_url)
        try:
            s = schema.submissions
            with engine.connect() as conn:
                statuses = dict(conn.execute(select(s.c.status, func.count()).group_by(s.c.status)).all())
                indicators = conn.scalar(select(func.count()).select_from(schema.indicator_values))
        finally:
            engine.dispose()
        assert statuses.get("rejected") == 1 and statuses.get("accepted", 0) > 40, statuses
        assert indicators > 0
        assert not any(p.is_file() for p in (home / "inbox").rglob("*"))  # every file was filed
        archived = [
            p
            for p in (home / "archive").rglob("*")
            if p.is_file() and not p.name.endswith((".report.html", ".report.json", ".feedback.xlsx"))
        ]
        assert len(archived) == sent - 1
        # the asset-triggered run's output (a scheduled run on unpausing may have written one too)
        published = max(
            (p for p in (home / "published").iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        for name in (
            "indicator_values.csv",
            "indicator_values.xlsx",
            "incomplete_indicators.csv",
            "index.html",
        ):
            assert (published / name).is_file(), sorted(p.name for p in published.iterdir())
        assert (home / "reports" / "index.html").is_file()

        # one process, the same files: the same warehouse
        with warehouse_database("postgresql", tmp_path) as single_url:
            single = prepared_settings(tmp_path / "single", single_url, monkeypatch)
            drop_files(samples / "round1", single.inbox)
            assert str(airflow_db[INGEST].test().state).rsplit(".", 1)[-1].lower() == "success"
            single_engine = make_engine(single_url)
            build_indicator_values(single_engine)
            try:
                assert _warehouse(single_engine) == _warehouse(create_engine(warehouse_url))
            finally:
                single_engine.dispose()


def _warehouse(engine) -> dict[str, list[tuple]]:
    """What a run leaves in the warehouse, without the ids that depend on which worker went first."""
    s, v = schema.submissions, schema.indicator_values
    keep = [s.c.project, s.c.partner, s.c.dataset, s.c.period, s.c.status, s.c.version, s.c.row_count,
            s.c.error_count, s.c.warning_count, s.c.file_hash, s.c.received_at]  # fmt: skip
    with engine.connect() as conn:
        state = {
            "submissions": sorted(tuple(r) for r in conn.execute(select(*keep))),
            "indicator_values": sorted(tuple(r) for r in conn.execute(select(v))),
        }
        for name, table in schema.dataset_tables.items():
            state[name] = [(conn.scalar(select(func.count()).select_from(table)),)]
    engine.dispose()
    return state


WORKERS = ("worker-1", "worker-2")


def _worker_names(tmp_path: Path) -> Path:
    """A hostname callable for the workers (Airflow records it on each task instance), so the
    test can tell which one ran a batch, both being on this machine."""
    folder = tmp_path / "pythonpath"
    folder.mkdir()
    (folder / "worker_name.py").write_text(
        "import os\n\n\ndef name():\n    return os.environ['TEST_WORKER_NAME']\n"
    )
    return folder


@contextlib.contextmanager
def _redis_database():
    """A Redis database of the local server (127.0.0.1:6379) for this test's Celery broker,
    emptied before and after; a Redis that cannot be reached fails the test."""
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
