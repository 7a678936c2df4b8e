"""Scheduling settings every DAG shares, stated once: time zone, start, owner, tags, retries."""

from datetime import timedelta

import pendulum

TIMEZONE = "Europe/Bucharest"  # the network works on Romanian time
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
INGEST_CRON = "*/30 * * * *"  # partners' files are picked up within half an hour
PUBLISH_CRON = "0 2 * * *"  # the overnight consolidation
REMIND_CRON = "0 9 * * *"  # reminders of due dates reach partners in the morning
OWNER = "data-platform"  # who answers for the DAGs: shown in the Airflow UI's DAG list
PRODUCT_TAG = "inclusion"  # every DAG of the pipeline carries it, so the UI can filter on it


def tags(stage: str) -> list[str]:
    """The DAG's tags: the product's, then the stage it runs."""
    return [PRODUCT_TAG, stage]


def default_args(retry_minutes: int) -> dict:
    return {"owner": OWNER, "retries": 2, "retry_delay": timedelta(minutes=retry_minutes)}
