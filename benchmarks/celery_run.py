"""Small files through the real scheduler and the CeleryExecutor, with one worker then two:
``airflow scheduler``, ``dag-processor``, ``api-server`` and ``celery worker`` processes started
as the end-to-end test starts them (``tests/airflow_stack.py``), PostgreSQL for the metadata and
the warehouse, Redis for the broker. A round of files is dropped in the inbox and
``ingest_submissions`` triggered through the REST API; its files/s is from the trigger to the
end of the run as the scheduler recorded it (the scheduler's and the workers' overhead
included). The second round, other files as many, runs once a second worker has joined."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import time
from pathlib import Path

from figures import Figure
from small_files import PER_WORKER_FILES_S, write_files

TESTS = Path(__file__).resolve().parent.parent / "tests"
READY_SECONDS = 120
ROUND_SECONDS = 180  # what a round may take: a cron slot due sooner is waited out first


def group_cpu(session: int) -> float:
    """CPU seconds of the processes of a session (a component started with its own), with
    their children that have ended: the task processes a worker forks."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session:  # field 6 of stat: the session id
                total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def _wait_ready(airflow, worker: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while " ready." not in airflow.log(worker).read_text(errors="replace"):
        airflow.check_alive()
        if time.monotonic() > deadline:
            airflow.fail(f"celery worker {worker} never said it was ready")
        time.sleep(0.5)


def _clear_of_cron_slot(airflow, dag_id: str, cron: str, deadline: float) -> None:
    """A round must not meet the DAG's own cron slot: the scheduled run would take the files
    and the triggered one, waiting behind it (``max_active_runs=1``), find none. A slot due
    within ``ROUND_SECONDS`` is waited out, with its run."""
    from croniter import croniter

    now = dt.datetime.now(dt.UTC)
    slot = croniter(cron, now).get_next(dt.datetime)
    if (slot - now).total_seconds() >= ROUND_SECONDS:
        return
    print(f"  waiting for the {slot:%H:%M} cron slot's run first", flush=True)
    time.sleep((slot - now).total_seconds() + 1)
    airflow.wait_for_run(
        dag_id,
        lambda run: run["run_type"] == "scheduled" and dt.datetime.fromisoformat(run["run_after"]) >= slot,
        deadline,
    )


def celery(files: int, rows: int, batch_size: int, directory: Path) -> list[Figure]:
    sys.path.insert(0, str(TESTS))
    from airflow_stack import (
        INGEST,
        RUN_SECONDS,
        STARTUP_SECONDS,
        WORKERS,
        Airflow,
        environment,
        free_port,
        postgres_database,
        redis_database,
        worker_names,
    )
    from inclusion_data.demo import drop_files
    from inclusion_data.orchestration.scheduling import INGEST_CRON

    rounds = [directory / "round1", directory / "round2"]
    written = [write_files(rounds[0], files, rows), write_files(rounds[1], files, rows, first=files)]
    figures: list[Figure] = []
    port = free_port()
    with (
        postgres_database("inclusion_bench") as metadata_url,
        postgres_database("inclusion_bench") as warehouse_url,
        redis_database() as broker_url,
    ):
        env = environment(directory, metadata_url, warehouse_url, port, broker_url, key=secrets.token_hex(32))
        env["INCLUSION_BATCH_SIZE"] = str(batch_size)
        inbox = Path(env["INCLUSION_HOME"]) / "inbox"
        airflow = Airflow(directory, env, port)
        try:
            started = time.monotonic()
            airflow.start_components(port)
            names = worker_names(directory)
            airflow.start_worker(WORKERS[0], names)
            airflow.wait_healthy(started + STARTUP_SECONDS)
            airflow.login()
            airflow.wait_for_dag(INGEST, started + STARTUP_SECONDS)
            _wait_ready(airflow, WORKERS[0])
            # unpausing queues the latest cron slot: a run on the empty inbox, waited out
            airflow.api("PATCH", f"/dags/{INGEST}", json={"is_paused": False})
            airflow.wait_for_run(INGEST, lambda run: run["run_type"] == "scheduled", started + RUN_SECONDS)
            print(f"  Airflow up in {time.monotonic() - started:.0f} s", flush=True)
            for count, (folder, rows_sent) in enumerate(zip(rounds, written, strict=True), start=1):
                if count == 2:
                    airflow.start_worker(WORKERS[1], names)
                    _wait_ready(airflow, WORKERS[1])
                workers = [airflow.processes[w].pid for w in WORKERS[:count]]
                _clear_of_cron_slot(airflow, INGEST, INGEST_CRON, time.monotonic() + RUN_SECONDS)
                drop_files(folder, inbox)
                cpu, asked = sum(map(group_cpu, workers)), dt.datetime.now(dt.UTC)
                triggered = airflow.api("POST", f"/dags/{INGEST}/dagRuns", json={"logical_date": None})
                run_id = triggered["dag_run_id"]
                done = airflow.wait_for_run(
                    INGEST, lambda run, r=run_id: run["dag_run_id"] == r, time.monotonic() + RUN_SECONDS
                )
                cpu = sum(map(group_cpu, workers)) - cpu
                # to the end the scheduler recorded, not to when the once-a-second poll saw it
                wall = (dt.datetime.fromisoformat(done["end_date"]) - asked).total_seconds()
                instances = airflow.api("GET", f"/dags/{INGEST}/dagRuns/{run_id}/taskInstances")
                batches = [ti for ti in instances["task_instances"] if ti["task_id"] == "process_batch"]
                hosts = sorted({ti["hostname"] for ti in batches})
                left = sum(1 for p in inbox.rglob("*") if p.is_file())
                if not batches or left:  # another run took files: not this run's figure
                    airflow.fail(
                        f"the triggered run did {len(batches)} batches, {left} files left in the inbox"
                    )
                note = f"{rows_sent} rows, {len(batches)} batches on {', '.join(hosts)}, {left} left in inbox"
                label = f"{count} worker{'s' if count > 1 else ''}"
                target = f">= {PER_WORKER_FILES_S * count:g} files/s"
                figures += [
                    Figure("celery", f"files/s, {label} (trigger to success)", files / wall, "files/s",
                           target=target, note=note),
                    Figure("celery", f"files/s per worker, {label}", files / wall / count, "files/s"),
                    Figure("celery", f"worker CPU-s per file, {label}", cpu / files, "s"),
                ]  # fmt: skip
        finally:
            airflow.stop()
    return figures
