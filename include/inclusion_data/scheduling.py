"""Scheduling settings the DAGs share: the network works on Romanian time."""

from datetime import timedelta

import pendulum

TIMEZONE = "Europe/Bucharest"
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
INGEST_CRON = "*/30 * * * *"  # partners' files are picked up within half an hour
PUBLISH_CRON = "0 2 * * *"  # the overnight consolidation


def default_args(retry_minutes: int) -> dict:
    return {"retries": 2, "retry_delay": timedelta(minutes=retry_minutes)}
