"""Pick up partner files from the inbox, validate and load them, file them with their report."""

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from inclusion_data import tasks
from inclusion_data.assets import WAREHOUSE_SUBMISSIONS


@dag(
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Bucharest"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["inclusion", "ingest"],
    doc_md=__doc__,
)
def ingest_submissions():
    @task
    def prepare_warehouse() -> None:
        tasks.prepare_warehouse()

    @task
    def find_batches() -> list[list[str]]:
        return tasks.find_batches()

    @task
    def process_batch(paths: list[str]) -> list[dict]:
        return tasks.process_batch(paths)

    @task(outlets=[WAREHOUSE_SUBMISSIONS], trigger_rule="none_failed")
    def summarise(results) -> dict:
        return tasks.summarise(results)

    batches = find_batches()
    prepare_warehouse() >> batches
    summarise(process_batch.expand(paths=batches))


ingest_submissions()
