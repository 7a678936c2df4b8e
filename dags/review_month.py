"""Review a project's month from the Airflow UI (Trigger DAG with params): ``approve`` closes
it (its figures publish as final; files for it are held from then on), ``reopen`` needs a
reason in ``note`` and sends its held files back to the inbox, ``approve-complete`` approves
every open month whose expected submissions are all in. ``by`` defaults to the Airflow user
who triggered the run. The portal's coordinator pages and the command
``python -m inclusion_data.orchestration.review`` do the same.
Logic: `inclusion_data.orchestration.review`.
"""

from airflow.sdk import Param, dag, task

from inclusion_data.orchestration import dag_tasks as tasks
from inclusion_data.orchestration.scheduling import START_DATE, default_args, tags

_TEXT = ["null", "string"]


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    default_args=default_args(retry_minutes=1),
    tags=tags("review"),
    doc_md=__doc__,
    params={
        "action": Param("approve", enum=["approve", "reopen", "approve-complete"]),
        "project": Param(None, type=_TEXT, description="project code, e.g. TWAM"),
        "period": Param(None, type=_TEXT, description="the month, YYYY-MM"),
        "note": Param("", type="string", description="a note; the reason, to reopen"),
        "by": Param(None, type=_TEXT, description="who decides (default: the triggering user)"),
    },
)
def review_month():
    @task
    def prepare_warehouse() -> None:
        tasks.prepare_warehouse()

    @task
    def review(params: dict | None = None, dag_run=None) -> dict:
        return tasks.review_month(params or {}, getattr(dag_run, "triggering_user_name", None))

    prepare_warehouse() >> review()


review_month()
