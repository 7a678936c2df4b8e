"""Remind partners of the due date: every morning, a mail to each partner whose month falls
due in a few days (``INCLUSION_REMINDER_DAYS``, 5 and 1 by default) and still lacks a file
for some dataset. Months answered by a file or a nil return are not reminded. Triggered
with the param ``today``, it reminds as on that day.
Logic: `inclusion_data.orchestration.tasks` and `inclusion_data.portal.mail`.
"""

from airflow.sdk import CronTriggerTimetable, Param, dag, task

from inclusion_data.orchestration import dag_tasks as tasks
from inclusion_data.orchestration.scheduling import REMIND_CRON, START_DATE, TIMEZONE, default_args, tags


@dag(
    schedule=CronTriggerTimetable(REMIND_CRON, timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_minutes=10),
    tags=tags("remind"),
    doc_md=__doc__,
    params={
        "today": Param(None, type=["null", "string"], format="date", description="remind as on this day")
    },
)
def remind_partners():
    @task
    def prepare_warehouse() -> None:
        tasks.prepare_warehouse()

    @task
    def remind(params: dict | None = None, ds: str | None = None) -> list[dict]:
        return tasks.remind_partners((params or {}).get("today") or ds)

    prepare_warehouse() >> remind()


remind_partners()
