"""The privacy scan under a real Airflow (scheduler, DAG processor, API server, LocalExecutor,
PostgreSQL for Airflow and the warehouse, logs at INFO): the trap files of ``privacy_traps``
dropped in the inbox, ``ingest_submissions`` triggered through the REST API, its asset event
running ``publish_indicators``; then every shared place is searched, the components' and the
tasks' log files included."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from airflow_stack import INGEST, PUBLISH, RUN_SECONDS, STARTUP_SECONDS, Airflow, environment, free_port
from conftest import TEST_KEY, warehouse_database
from inclusion_data.settings import Settings
from privacy_traps import CONTENT_VALUES, FILE_NAME_VALUES, report, scan_shared_places, write_trap_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("privacy-scheduler")
    port = free_port()
    with (
        warehouse_database("postgresql", tmp_path) as metadata_url,
        warehouse_database("postgresql", tmp_path) as warehouse_url,
    ):
        env = environment(tmp_path, metadata_url, warehouse_url, port, key=TEST_KEY)
        home = Path(env["INCLUSION_HOME"])
        airflow = Airflow(tmp_path, env, port)
        try:
            airflow.start_components(port)
            started = time.monotonic()
            staging = tmp_path / "staging"
            written = write_trap_files(staging)
            airflow.wait_healthy(started + STARTUP_SECONDS)
            airflow.login()
            for dag_id in (INGEST, PUBLISH):
                airflow.wait_for_dag(dag_id, started + STARTUP_SECONDS)
            deadline = time.monotonic() + 2 * RUN_SECONDS
            airflow.api("PATCH", f"/dags/{PUBLISH}", json={"is_paused": False})
            airflow.api("PATCH", f"/dags/{INGEST}", json={"is_paused": False})
            airflow.wait_for_run(INGEST, lambda run: run["run_type"] == "scheduled", deadline)
            for path in written:  # as a partner drops them, once the DAGs run
                target = home / "inbox" / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.rename(target)
            airflow.api("POST", f"/dags/{INGEST}/dagRuns", json={"logical_date": None})
            # the triggered run, or a cron slot passing meanwhile, loads the files; the publish
            # run to wait for is the one a loading run's asset event started
            airflow.wait_for_run(
                PUBLISH,
                lambda run: (
                    run["run_type"] == "asset_triggered"
                    and bool(airflow.event_sources(run) & airflow.loading_runs())
                ),
                deadline,
            )
        finally:
            airflow.stop()
        logs = {
            f"log {p.relative_to(tmp_path)}": p.read_text(errors="replace")
            for p in [*tmp_path.glob("*.log"), *(tmp_path / "airflow" / "logs").rglob("*")]
            if p.is_file()
        }
        settings = Settings(home=home.resolve(), warehouse_url=warehouse_url)

        def scan(values):
            return scan_shared_places(settings, warehouse_url, metadata_url, logs, values)

        yield {"home": home, "written": written, "logs": logs, "scan": scan}


def test_the_scheduler_processed_every_trap_file(scheduled):
    home = scheduled["home"]
    assert not any(p.is_file() for p in (home / "inbox").rglob("*"))
    assert any("process_batch" in name for name in scheduled["logs"])  # the tasks' logs were read


def test_nothing_from_inside_a_file_reaches_a_shared_place(scheduled):
    hits = scheduled["scan"](CONTENT_VALUES)
    assert not hits["data"] + hits["airflow"], report(hits["data"] + hits["airflow"])


def test_no_file_name_in_task_logs_xcom_or_rendered_fields(scheduled):
    hits = scheduled["scan"](FILE_NAME_VALUES)["airflow"]
    assert not hits, report(hits)


def test_no_file_name_in_the_warehouse_or_the_reviewers_site(scheduled):
    hits = scheduled["scan"](FILE_NAME_VALUES)["data"]
    assert not hits, report(hits)
