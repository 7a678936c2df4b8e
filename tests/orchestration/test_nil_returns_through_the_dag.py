"""Nil returns ("no activity this month") through real ingest DAG runs (dag.test()), on SQLite
and PostgreSQL: both forms (an empty sheet with the template's headers, the Info sheet's
declaration in the partner's template) count as complete, and the newest version by arrival
stands, whether it is the nil return or a real file."""

import datetime as dt
import json
import os

import openpyxl
from sqlalchemy import select

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.contracts.labels import Labels
from inclusion_data.indicators.gaps import incomplete_indicators
from inclusion_data.submissions.template_workbook import write_template
from inclusion_data.warehouse import schema
from sample_warehouse import accepted_beneficiary_rows
from workbooks import beneficiary, write_xlsx

FIRST = dt.datetime(2016, 5, 2, 10, tzinfo=dt.UTC).timestamp()


def _arrived(path, stamp):
    os.utime(path, (stamp, stamp))
    return path


def _template(path, month, no_activity, rows=()):
    """The partner's real template for ``month``: ``no_activity`` declared in its Info sheet,
    ``rows`` typed into Beneficiari, and the sheets of the other datasets deleted."""
    write_template("TWAM", "asoc-cluj", month, path, no_activity=no_activity)
    workbook = openpyxl.load_workbook(path)
    for name in ("trainings", "volunteers", "beneficiaries"):
        if name != "beneficiaries" or not rows:
            del workbook[DATASETS[name].sheet_names[0]]
    fields = DATASETS["beneficiaries"].fields
    for number, row in enumerate(rows, start=2):
        for column, f in enumerate(fields, start=1):
            workbook["Beneficiari"].cell(number, column, row.get(f.name))
    workbook.save(path)
    return path


def _state(run):
    return str(run.state).rsplit(".", 1)[-1].lower()


def _completeness(engine):
    c = schema.completeness
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.c.dataset, c.c.period, c.c.status, c.c.versions).where(
                (c.c.project == "TWAM")
                & (c.c.partner == "asoc-cluj")
                & c.c.period.in_(["2016-03", "2016-04"])
            )
        ).all()
    return {(r.dataset, r.period): (r.status, r.versions) for r in rows}


def _submissions(engine):
    s = schema.submissions
    with engine.connect() as conn:
        return conn.execute(
            select(s.c.id, s.c.dataset, s.c.period, s.c.status, s.c.row_count, s.c.superseded_by).order_by(
                s.c.id
            )
        ).all()


def test_nil_returns_are_complete_and_the_newest_version_stands_either_way(settings, engine, airflow_db):
    inbox = settings.inbox / "TWAM" / "asoc-cluj"
    april = beneficiary(service_date=dt.date(2016, 4, 12))
    # round 1: March's beneficiaries as a sheet with the template's headers and no rows; April's
    # template with one beneficiary and the Info sheet declaring no volunteers
    _arrived(write_xlsx(inbox / "beneficiari_2016-03.xlsx", {"Beneficiari": []}, info_month="2016-03"), FIRST)
    _arrived(_template(inbox / "aprilie.xlsx", "2016-04", ["volunteers"], [april]), FIRST)
    assert _state(airflow_db["ingest_submissions"].test()) == "success"

    completeness = _completeness(engine)
    assert completeness[("beneficiaries", "2016-03")] == ("nil", 1)
    assert completeness[("volunteers", "2016-04")] == ("nil", 1)
    assert completeness[("beneficiaries", "2016-04")] == ("accepted", 1)
    assert completeness[("trainings", "2016-04")] == ("missing", 0)  # nothing said of trainings
    with engine.connect() as conn:
        stored = [dict(r) for r in conn.execute(select(schema.completeness)).mappings()]
    gaps = incomplete_indicators(stored)
    gap_months = set(zip(gaps.partner, gaps.dataset, gaps.period, strict=True))
    assert ("asoc-cluj", "trainings", "2016-04") in gap_months
    assert (
        not {("asoc-cluj", "beneficiaries", "2016-03"), ("asoc-cluj", "volunteers", "2016-04")} & gap_months
    )
    # the file report names the month as declared without activity
    archive = settings.archive / "TWAM" / "asoc-cluj"
    reports = [json.loads(p.read_text("utf-8")) for p in archive.glob("*.report.json")]
    assert sorted(s["status"] for r in reports for s in r["submissions"]) == ["accepted", "nil", "nil"]
    assert [r["status"] for r in reports] == ["accepted", "accepted"]  # filed as received, not rejected
    pages = [p.read_text("utf-8") for p in archive.glob("*.report.html")]
    assert sum(html.count(Labels("ro").status("nil")) for html in pages) == 2

    # round 2, an hour later: March's real file, and April declared without beneficiaries
    later = FIRST + 3600
    _arrived(
        write_xlsx(inbox / "martie_2016-03.xlsx", {"Beneficiari": [beneficiary()]}, info_month="2016-03"),
        later,
    )
    _arrived(_template(inbox / "aprilie_fara.xlsx", "2016-04", ["beneficiaries"]), later)
    assert _state(airflow_db["ingest_submissions"].test()) == "success"

    completeness = _completeness(engine)
    assert completeness[("beneficiaries", "2016-03")] == ("accepted", 2)
    assert completeness[("beneficiaries", "2016-04")] == ("nil", 2)
    assert completeness[("volunteers", "2016-04")] == ("nil", 1)
    by_key = {}
    for r in _submissions(engine):
        by_key.setdefault((r.dataset, r.period), []).append(r)
    march_nil, march_file = by_key[("beneficiaries", "2016-03")]
    april_file, april_nil = by_key[("beneficiaries", "2016-04")]
    assert (march_nil.status, march_nil.superseded_by, march_nil.row_count) == (
        "superseded",
        march_file.id,
        0,
    )
    assert (march_file.status, march_file.row_count) == ("accepted", 1)
    assert (april_file.status, april_file.superseded_by) == ("superseded", april_nil.id)
    assert (april_nil.status, april_nil.row_count) == ("nil", 0)
    # the nil return contributes zero: only March's row is read by the indicators now
    assert accepted_beneficiary_rows(engine) == 1
