"""Rebuild the indicator table and publish it: nightly, and whenever new data was loaded."""

from datetime import timedelta

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from inclusion_data import tasks
from inclusion_data.assets import WAREHOUSE_SUBMISSIONS


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone="Europe/Bucharest"),
        assets=[WAREHOUSE_SUBMISSIONS],
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Bucharest"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["inclusion", "publish"],
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
