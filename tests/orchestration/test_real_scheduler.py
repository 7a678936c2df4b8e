"""The pipeline under a real Airflow scaled out as in production: `airflow scheduler`,
`api-server`, `dag-processor` and two `celery worker` processes, the CeleryExecutor with the
Redis broker on 127.0.0.1:6379, PostgreSQL for Airflow's metadata and the warehouse, driven
through the REST API as an operator would. Both DAGs are unpaused, the demo's first round of
files is dropped in the inbox, `ingest_submissions` is triggered, and its asset event must
start a `publish_indicators` run that fills the warehouse's indicators and publishes them.
Both workers must have taken batches, and the warehouse must equal what one process
(`dag.test()`) makes of the same files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from airflow_stack import (
    INGEST,
    PUBLISH,
    RUN_SECONDS,
    STARTUP_SECONDS,
    WORKERS,
    Airflow,
    environment,
    free_port,
    redis_database,
    worker_names,
)
from conftest import TEST_KEY, prepared_settings, warehouse_database
from inclusion_data.demo import drop_files
from inclusion_data.demo.sample_data import generate
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import make_engine

pytestmark = pytest.mark.slow
BATCH = 8  # files a mapped task: the demo's first round makes at least 4 batches


def test_two_celery_workers_ingest_and_the_asset_event_publishes(tmp_path, airflow_db, monkeypatch):
    port = free_port()
    with (
        warehouse_database("postgresql", tmp_path) as metadata_url,
        warehouse_database("postgresql", tmp_path) as warehouse_url,
        redis_database() as broker_url,
    ):
        env = {
            **environment(tmp_path, metadata_url, warehouse_url, port, broker_url, key=TEST_KEY),
            "INCLUSION_BATCH_SIZE": str(BATCH),
        }
        home = Path(env["INCLUSION_HOME"])
        airflow = Airflow(tmp_path, env, port)
        try:
            airflow.start_components(port)
            names = worker_names(tmp_path)
            for worker in WORKERS:
                airflow.start_worker(worker, names)
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
        print(f"{len(mapped)} batches of {BATCH} files, run by {sorted(batches_by)}")
        assert len(mapped) >= 4 and batches_by == set(WORKERS), (len(mapped), batches_by)
        for worker in WORKERS:  # once, in the worker's main process, before its pool forked
            assert airflow.log(worker).read_text(errors="replace").count("warmed up for tasks") == 1, worker
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
