"""Period close through real DAG runs (dag.test()), on SQLite and PostgreSQL: a coordinator
approves a month (the review_month DAG); a re-send for it is held (not loaded, not lost, its
sender told by mail); reopening the month (the command) sends it back to the inbox at its
first arrival time, the next ingest loads it, and the revision log names the change."""

import datetime as dt
import json
import os

from sqlalchemy import select

from inclusion_data.demo.people import make_cnp
from inclusion_data.orchestration import review, tasks
from inclusion_data.publishing import revisions
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.review import review_history
from smtp_server import text_of
from workbooks import beneficiary, write_xlsx

FIRST = dt.datetime(2016, 4, 2, 10, tzinfo=dt.UTC).timestamp()
RESENT = dt.datetime(2016, 4, 20, 10, tzinfo=dt.UTC).timestamp()
PERSONS = "persons_assisted"


def _people(n: int) -> list[dict]:
    born = [dt.date(1980, 1, 1 + i) for i in range(n)]
    return [
        beneficiary(cnp=make_cnp("M", b, 12, 100 + i), birth_date=f"{b:%d.%m.%Y}") for i, b in enumerate(born)
    ]


def _drop(settings, name: str, people: int, arrived: float):
    path = write_xlsx(settings.inbox / "TWAM" / "asoc-cluj" / name, {"Beneficiari": _people(people)})
    os.utime(path, (arrived, arrived))
    return path


def _state(run) -> str:
    return str(run.state).rsplit(".", 1)[-1].lower()


def _march(engine) -> list[tuple]:
    s = schema.submissions
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(s.c.version, s.c.status, s.c.row_count)
                .where((s.c.project == "TWAM") & (s.c.period == "2016-03"))
                .order_by(s.c.id)
            )
        ]


def _persons_in_march(engine) -> float:
    v = schema.indicator_values
    with engine.connect() as conn:
        return conn.scalar(
            select(v.c.value).where(
                (v.c.indicator_id == PERSONS) & (v.c.project == "TWAM") & (v.c.partner == "ALL")
                & (v.c.period == "2016-03") & (v.c.dimension == "total")
            )
        )  # fmt: skip


def test_a_resend_for_an_approved_month_is_held_until_the_month_is_reopened(
    settings, engine, airflow_db, smtp, monkeypatch
):
    mail, config = smtp
    monkeypatch.setenv("INCLUSION_SMTP_HOST", config.host)
    monkeypatch.setenv("INCLUSION_SMTP_PORT", str(config.port))
    monkeypatch.setenv("INCLUSION_SMTP_STARTTLS", "false")
    _drop(settings, "raport_2016-03.xlsx", 10, FIRST)
    assert _state(airflow_db["ingest_submissions"].test()) == "success"
    first = tasks.build_and_publish()
    assert _persons_in_march(engine) == 10

    run = airflow_db["review_month"].test(
        run_conf={"action": "approve", "project": "TWAM", "period": "2016-03", "note": "checked", "by": None}
    )
    assert _state(run) == "success"
    with engine.connect() as conn:
        [approval] = review_history(conn, "TWAM", "2016-03")
    assert (approval.action, approval.note, approval.by) == ("approved", "checked", "airflow:dag_test")
    refused = airflow_db["review_month"].test(
        run_conf={"action": "approve", "project": "TWAM", "period": "2016-03"}
    )
    assert _state(refused) == "failed"  # closed already: said, not done twice
    final = tasks.build_and_publish()  # the month's figures are now final
    assert final["changed"] and final["publication"] != first["publication"]

    # a correction with 14 people arrives for the closed month
    resent = _drop(settings, "raport_2016-03_corectat.xlsx", 14, RESENT)
    content = resent.read_bytes()
    mail.messages.clear()
    assert _state(airflow_db["ingest_submissions"].test()) == "success"
    assert _march(engine) == [(1, "accepted", 10)]  # not loaded
    folder = settings.held / "TWAM" / "asoc-cluj" / "2016-03"
    [held] = [p for p in folder.iterdir() if p.name.count(".") == 1]  # not its report or feedback
    assert held.read_bytes() == content and not resent.exists()  # not lost
    report = json.loads(held.with_name(held.name + ".report.json").read_text("utf-8"))
    assert report["status"] == "held"
    assert [f["rule"] for f in report["findings"]] == ["month_closed"]
    [(recipients, message)] = mail.messages  # the sender is told why
    assert recipients == ["date@asoc-cluj.example.org"]
    assert "reținut" in message["Subject"] and "este închisă" in text_of(message)
    assert tasks.build_and_publish()["changed"] is False  # nothing new: the figures stand

    # reopening needs a reason; with one, the file goes back to the inbox as it first came
    assert review.main(["reopen", "TWAM", "2016-03", "--by", "ana@retea.example.org"]) == 1
    assert review.main(
        ["reopen", "TWAM", "2016-03", "--by", "ana@retea.example.org", "--note", "late correction"]
    ) == 0  # fmt: skip
    [back] = (settings.inbox / "TWAM" / "asoc-cluj").iterdir()
    assert back.name == "raport_2016-03_corectat.xlsx" and back.read_bytes() == content
    assert back.stat().st_mtime == RESENT
    assert not held.exists()
    assert _state(airflow_db["ingest_submissions"].test()) == "success"
    assert _march(engine) == [(1, "superseded", 10), (2, "accepted", 14)]

    second = tasks.build_and_publish()
    assert second["changed"] and second["publication"] != first["publication"]
    assert _persons_in_march(engine) == 14
    with engine.connect() as conn:
        log = revisions.history(conn, second["publication"])
        reviews = review_history(conn, "TWAM", "2016-03")
    change = log[(log.indicator_id == PERSONS) & (log.project == "TWAM") & (log.partner == "ALL")
                 & (log.period == "2016-03") & (log.dimension == "total")]  # fmt: skip
    [causes] = change["causes"]
    assert {(c.get("submission"), c.get("change"), c.get("review")) for c in causes} == {
        (1, "withdrawn", None),
        (2, "loaded", None),
        (None, None, "reopened"),
    }
    assert list(change["old_value"]) == [10] and list(change["new_value"]) == [14]
    assert [(r.action, r.publication) for r in reviews] == [
        ("approved", final["publication"]),
        ("reopened", second["publication"]),
    ]
