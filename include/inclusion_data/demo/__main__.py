"""``make demo``: sample partner files in, validated warehouse, indicators and reports out,
through real Airflow DAG runs (``dag.test()``) on the embedded SQLite default."""

from __future__ import annotations

import os
import sys

from inclusion_data.demo import APPROVE_COMPLETE, drop_files
from inclusion_data.settings import Settings


def _run(dag, label: str, **conf) -> None:
    run = dag.test(run_conf=conf or None)
    state = str(getattr(run, "state", "unknown"))
    print(f"  {label}: {dag.dag_id} -> {state}")
    if "success" not in state:
        sys.exit(f"{dag.dag_id} did not succeed ({state}); see the task logs above")


def main() -> None:
    os.environ.setdefault("INCLUSION_SETTLE_SECONDS", "0")  # the demo drops files and runs at once
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # INFO for every task log
    settings = Settings.from_env()
    from inclusion_data.intake import pseudonym
    from inclusion_data.orchestration import local_airflow

    local_airflow.configure(settings)
    settings.make_dirs()
    pseudonym.create_local_key(settings)
    samples = settings.home / "samples"
    if not samples.exists():  # generated once, so a second demo drops byte-identical files
        from inclusion_data.demo.sample_data import generate

        generate(samples)
    local_airflow.init_metadata_db()
    dags = local_airflow.load_dags()

    from inclusion_data.demo.summary import print_summary

    dropped = drop_files(samples / "round1", settings.inbox)
    print(f"\nRound 1: {dropped} partner files dropped in {settings.inbox}")
    _run(dags["ingest_submissions"], "round 1")
    dropped = drop_files(samples / "round2", settings.inbox)
    print(f"Round 2: {dropped} re-sent files dropped (a correction and a fix)")
    _run(dags["ingest_submissions"], "round 2")
    print("A coordinator approves every month whose expected submissions are all in")
    _run(dags["review_month"], "review", **APPROVE_COMPLETE)
    _run(dags["publish_indicators"], "publish")
    print_summary(settings)


if __name__ == "__main__":
    main()
