"""The DAGs as Airflow sees them, and real DAG runs (dag.test()) from inbox to indicators."""

import shutil

import pandas as pd
from sqlalchemy import func, select

from inclusion_data.demo.sample_data import generate
from inclusion_data.local_airflow import CHECKOUT
from inclusion_data.warehouse import schema


def test_every_dag_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(CHECKOUT / "dags"))
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"ingest_submissions", "publish_indicators"}
    for dag in bag.dags.values():
        assert all(task.retries >= 1 for task in dag.tasks)


def test_dag_files_stay_thin():
    """Logic lives in the package: DAG files import it and wire tasks, nothing else."""
    for path in (CHECKOUT / "dags").glob("*.py"):
        imports = [line for line in path.read_text().splitlines() if line.startswith(("import", "from"))]
        allowed = ("from airflow.sdk", "from inclusion_data")
        assert all(line.startswith(allowed) for line in imports), (path.name, imports)


def _drop(source, inbox):
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = inbox / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _counts(engine):
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(table))
                for name, table in schema.metadata.tables.items()}


def _state(run):
    return str(run.state).rsplit(".", 1)[-1].lower()


def test_both_dags_run_end_to_end(settings, engine, airflow_db, tmp_path):
    dags = airflow_db
    samples = tmp_path / "samples"
    files = generate(samples)
    _drop(samples / "round1", settings.inbox)
    assert _state(dags["ingest_submissions"].test()) == "success"
    _drop(samples / "round2", settings.inbox)
    assert _state(dags["ingest_submissions"].test()) == "success"
    assert _state(dags["publish_indicators"].test()) == "success"

    assert not any(p.is_file() for p in settings.inbox.rglob("*"))  # every file was filed
    s = schema.submissions
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(s.c.status, func.count()).group_by(s.c.status)).all())
        rejected_files = conn.scalars(select(s.c.stored_at.distinct()).where(s.c.status == "rejected")).all()
    assert statuses["rejected"] == 1 and statuses["superseded"] >= 1 and statuses["accepted"] > 20
    [rejected] = rejected_files
    assert rejected.startswith("rejected/TWAM/asoc-bihor/")
    report = (settings.home / (rejected + ".report.html")).read_text("utf-8")
    for expected in ("TWAM_asoc-bihor_2016-02.ods", "Beneficiaries", "cnp_valid", "locality_in_county",
                     "service_date_in_reporting_month", "allowed_value", "„CNP”", "„Locality”"):
        assert expected in report
    sent = pd.read_excel(samples / "round1/TWAM/asoc-bihor/TWAM_asoc-bihor_2016-02.ods",
                         sheet_name=None, dtype=str)
    personal = {v for sheet in sent.values() for column in ("Full name", "CNP", "Person code")
                if column in sheet for v in sheet[column].dropna()}
    assert len(personal) > 50 and not [v for v in personal if v in report]
    archived = [p for p in settings.archive.rglob("*") if p.is_file() and "report" not in p.name]
    assert len(archived) == len(files) - 1

    published = next(settings.published.iterdir())
    table = pd.read_csv(published / "indicator_values.csv")
    sheets = pd.read_excel(published / "indicator_values.xlsx", sheet_name=None, header=1)
    per_indicator = {name: frame for name, frame in sheets.items() if " - " not in name}
    assert set(per_indicator) == set(table.indicator_id)
    assert sum(map(len, per_indicator.values())) == len(table) == _counts(engine)["indicator_values"] > 0
    assert (published / "index.html").exists() and (published / "plotly.min.js").exists()
    totals = table[(table.project == "ALL") & (table.partner == "ALL") & (table.period == "total")
                   & (table.dimension == "total")].set_index("indicator_id")["value"]
    assert totals["persons_assisted"] > 0 and totals["volunteers"] > 0 and totals["persons_certified"] > 0

    before = _counts(engine)
    _drop(samples / "round1", settings.inbox)  # the same files again: nothing changes
    assert _state(dags["ingest_submissions"].test()) == "success"
    assert _counts(engine) == before
