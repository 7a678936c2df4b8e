"""Pick up partner files from the inbox, validate and load them, file them with their report.

Every 30 minutes: files that have stopped changing in `inbox/<project>/<partner>/` are split
into batches, each batch is checked (contracts, Great Expectations suites, plausibility) and
loaded file by file, and every file ends in `archive/` or `rejected/` beside its HTML report and,
when it has findings, its annotated feedback workbook. `summarise` emits the warehouse asset
that triggers `publish_indicators`. Logic: `inclusion_data.orchestration.tasks`.
"""

from airflow.sdk import dag, task

from inclusion_data.orchestration import dag_tasks as tasks
from inclusion_data.orchestration.assets import WAREHOUSE_SUBMISSIONS
from inclusion_data.orchestration.scheduling import INGEST_CRON, START_DATE, default_args, tags


@dag(
    schedule=INGEST_CRON,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_minutes=1),
    tags=tags("ingest"),
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
    def process_batch(ids: list[str]) -> list[dict]:  # short ids: file names are personal
        return tasks.process_batch(ids)

    @task(outlets=[WAREHOUSE_SUBMISSIONS], trigger_rule="none_failed")
    def summarise(results) -> dict:
        return tasks.summarise(results)

    processed = process_batch.expand(ids=find_batches())
    prepare_warehouse() >> processed  # beside find_batches, which needs no warehouse
    summarise(processed)


ingest_submissions()
