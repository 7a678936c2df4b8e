"""Rebuild the indicator table and publish it: nightly, and whenever new data was loaded.

Runs at 02:00 Bucharest time and after every `ingest_submissions` run that loaded data:
computes the indicator catalogue from the warehouse, suppresses small person counts, and
writes `published/<date>/` (CSV, workbook, HTML report) and the reviewers' data-quality site.
Logic: `inclusion_data.orchestration.tasks`.
"""

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from inclusion_data.orchestration import dag_tasks as tasks
from inclusion_data.orchestration.assets import WAREHOUSE_SUBMISSIONS
from inclusion_data.orchestration.scheduling import PUBLISH_CRON, START_DATE, TIMEZONE, default_args, tags


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(PUBLISH_CRON, timezone=TIMEZONE),
        assets=[WAREHOUSE_SUBMISSIONS],
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_minutes=2),
    tags=tags("publish"),
    doc_md=__doc__,
)
def publish_indicators():
    @task
    def prepare_warehouse() -> None:
        tasks.prepare_warehouse()

    @task
    def build_and_publish() -> dict:
        return tasks.build_and_publish()

    prepare_warehouse() >> build_and_publish()


publish_indicators()
