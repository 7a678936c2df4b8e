"""From inbox to warehouse on a real SQLite warehouse: re-sends, duplicates, rejections."""

import datetime as dt
import json
import shutil

from sqlalchemy import func, select

from inclusion_data.contracts.network import load_network
from inclusion_data.orchestration import tasks
from inclusion_data.orchestration.ingest import discover, process_file
from inclusion_data.submissions.outcome import short_id
from inclusion_data.warehouse import schema
from sample_warehouse import accepted_beneficiary_rows
from workbooks import CNP_F_2008, CNP_M_1985, beneficiary, write_xlsx

KEY = b"test"


def _drop(settings, name, rows, month="2016-03", partner="asoc-cluj", **kwargs):
    return write_xlsx(
        settings.inbox / "TWAM" / partner / name, {"Beneficiari": rows}, info_month=month, **kwargs
    )


def _process_inbox(settings, engine):
    return [process_file(relative, settings, engine, load_network(), KEY) for relative in discover(settings)]


def _count(engine, table):
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def test_a_resend_supersedes_the_older_version_in_the_warehouse(settings, engine):
    _drop(
        settings,
        "martie.xlsx",
        [
            beneficiary(),
            beneficiary(
                cnp=CNP_F_2008, sex="F", birth_date=2008, vulnerable_group="Copil în situație de risc"
            ),
        ],
    )
    [first] = _process_inbox(settings, engine)
    assert first.status == "accepted" and accepted_beneficiary_rows(engine) == 2
    _drop(
        settings,
        "martie_corectat.xlsx",
        [
            beneficiary(),
            beneficiary(service="Logopedie"),
            beneficiary(cnp=None, person_code="X1", birth_date=None),
        ],
    )
    [second] = _process_inbox(settings, engine)
    assert second.status == "accepted"
    with engine.connect() as conn:
        versions = conn.execute(
            select(
                schema.submissions.c.id,
                schema.submissions.c.status,
                schema.submissions.c.version,
                schema.submissions.c.superseded_by,
            ).order_by(schema.submissions.c.id)
        ).all()
    new_id = second.submissions[0].submission_id
    assert [tuple(v) for v in versions] == [
        (first.submissions[0].submission_id, "superseded", 1, new_id),
        (new_id, "accepted", 2, None),
    ]
    assert accepted_beneficiary_rows(engine) == 3
    assert _count(engine, schema.dataset_tables["beneficiaries"]) == 5  # history is kept


def test_the_same_file_twice_loads_once(settings, engine):
    path = _drop(settings, "martie.xlsx", [beneficiary()])
    copy = settings.home / "copy.xlsx"
    shutil.copy2(path, copy)
    [first] = _process_inbox(settings, engine)
    counts = {name: _count(engine, table) for name, table in schema.metadata.tables.items()}
    shutil.copy2(copy, settings.inbox / "TWAM" / "asoc-cluj" / "martie (1).xlsx")
    [again] = _process_inbox(settings, engine)
    assert (first.status, again.status) == ("accepted", "duplicate")
    assert counts == {name: _count(engine, table) for name, table in schema.metadata.tables.items()}
    assert (settings.home / again.stored_at).exists() and again.stored_at.startswith("archive/")
    assert not any(settings.inbox.rglob("*.xlsx"))


def test_a_rejected_file_stays_findable_with_a_precise_report(settings, engine):
    secret = "Zamfira Secretescu"
    bad_cnp = CNP_M_1985[:-1] + str((int(CNP_M_1985[-1]) + 1) % 10)
    _drop(settings, "raport_2016-03.xlsx", [beneficiary(), beneficiary(name=secret, cnp=bad_cnp)], month=None)
    [outcome] = _process_inbox(settings, engine)
    assert outcome.status == "rejected" and outcome.stored_at.startswith("rejected/TWAM/asoc-cluj/")
    stored = settings.home / outcome.stored_at
    assert stored.exists()
    report = (settings.home / outcome.report).read_text()
    data = json.loads(stored.with_name(stored.name + ".report.json").read_text())
    [finding] = data["sheet_findings"]["Beneficiari"]
    assert (finding["sheet"], finding["rows"], finding["column"], finding["header"], finding["rule"]) == (
        "Beneficiari",
        [3],
        "A",
        "CNP",
        "cnp_valid",
    )
    for text in (report, json.dumps(data, ensure_ascii=False)):
        assert "raport_2016-03.xlsx" in text and "cnp_valid" in text
        assert secret not in text and bad_cnp not in text and CNP_M_1985 not in text
    assert _count(engine, schema.dataset_tables["beneficiaries"]) == 0


def test_a_file_whose_month_cannot_be_told_is_rejected_with_naming_advice(settings, engine):
    _drop(settings, "raport.xlsx", [beneficiary()], month=None)
    [outcome] = _process_inbox(settings, engine)
    assert outcome.status == "rejected" and [f.rule for f in outcome.findings] == ["unknown_month"]
    assert "beneficiari_2016-03.xlsx" in outcome.findings[0].message_en
    assert (settings.home / outcome.stored_at).exists()


def test_files_outside_a_partner_folder_or_from_strangers_are_rejected(settings, engine):
    write_xlsx(settings.inbox / "loose_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
    _drop(settings, "b_2016-03.xlsx", [beneficiary()], partner="nobody")
    outcomes = {o.source: o for o in _process_inbox(settings, engine)}
    assert [f.rule for f in outcomes["loose_2016-03.xlsx"].findings] == ["misplaced_file"]
    assert [f.rule for f in outcomes["TWAM/nobody/b_2016-03.xlsx"].findings] == ["unknown_partner"]
    assert all(o.status == "rejected" for o in outcomes.values())


def test_a_month_outside_the_partners_project_is_rejected(settings, engine):
    _drop(settings, "b.xlsx", [beneficiary(service_date="10.03.2019")], month="2019-03")
    [outcome] = _process_inbox(settings, engine)
    assert [f.rule for f in outcome.findings] == ["month_outside_project"]


def test_one_failing_file_does_not_stop_the_batch(settings, engine, monkeypatch):
    _drop(settings, "a_2016-03.xlsx", [beneficiary()])
    _drop(settings, "b_2016-03.xlsx", [beneficiary()], partner="asoc-bihor")
    real = tasks.finish_file

    def flaky(begun, *args):  # after both files' sheets were validated together
        if begun.relative.endswith("a_2016-03.xlsx"):
            raise RuntimeError("disk hiccup")
        return real(begun, *args)

    monkeypatch.setattr(tasks, "finish_file", flaky)
    results = {r["file"]: r for r in tasks.process_batch(tasks.find_batches()[0])}
    failed = results[short_id("TWAM/asoc-cluj/a_2016-03.xlsx")]
    assert failed["status"] == "rejected" and not failed["submissions"]
    [stored] = settings.rejected.glob("_internal_error/TWAM/asoc-cluj/*.xlsx")
    report = json.loads(stored.with_name(stored.name + ".report.json").read_text("utf-8"))
    assert report["file_name"] == "a_2016-03.xlsx" and "a_2016-03" not in stored.name
    [other] = [r for r in results.values() if r is not failed]
    assert other["status"] in ("accepted", "rejected") and other["submissions"]


def test_an_unreachable_warehouse_fails_the_task_and_leaves_the_file_in_the_inbox(settings, monkeypatch):
    import pytest
    from sqlalchemy.exc import OperationalError

    _drop(settings, "a_2016-03.xlsx", [beneficiary()])

    def warehouse_down(*args):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(tasks, "finish_file", warehouse_down)
    with pytest.raises(OperationalError):
        tasks.process_batch(discover(settings))
    assert (settings.inbox / "TWAM/asoc-cluj/a_2016-03.xlsx").exists()
    assert not any(settings.rejected.rglob("*.xlsx"))


def test_the_warehouse_can_come_from_the_airflow_connection(monkeypatch, tmp_path):
    from inclusion_data.settings import Settings

    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "postgresql://wh:secret@db.example:5432/warehouse")
    assert Settings.from_env().warehouse_url == "postgresql+psycopg://wh:secret@db.example:5432/warehouse"
    monkeypatch.setenv("WAREHOUSE_URL", "sqlite:///x.sqlite")  # an explicit URL wins
    assert Settings.from_env().warehouse_url == "sqlite:///x.sqlite"
    monkeypatch.delenv("WAREHOUSE_URL")
    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE")
    assert Settings.from_env().warehouse_url == f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


def test_the_same_bytes_twice_in_one_batch_load_once(settings, engine):
    """The batch looks its files up at once before any is loaded (``WarehouseHistory.recall``):
    the second copy is found by the load, under its locks, and filed as a duplicate."""
    path = _drop(settings, "martie.xlsx", [beneficiary()])
    shutil.copy2(path, path.with_name("martie (1).xlsx"))
    results = tasks.process_batch(tasks.find_batches()[0])
    assert sorted(r["status"] for r in results) == ["accepted", "duplicate"]
    assert accepted_beneficiary_rows(engine) == 1
    assert _count(engine, schema.submissions) == 1 and _count(engine, schema.file_outcomes) == 1
    assert not any(settings.inbox.rglob("*.xlsx"))


def test_a_batch_recognises_files_loaded_before_it_without_reading_them(settings, engine, monkeypatch):
    path = _drop(settings, "martie.xlsx", [beneficiary()])
    copy = settings.home / "copy.xlsx"
    shutil.copy2(path, copy)
    assert [r["status"] for r in tasks.process_batch(tasks.find_batches()[0])] == ["accepted"]
    shutil.copy2(copy, settings.inbox / "TWAM" / "asoc-cluj" / "martie (again).xlsx")
    _drop(settings, "aprilie.xlsx", [beneficiary(service_date=dt.date(2016, 4, 11))], month="2016-04")
    from inclusion_data.submissions import evaluation

    read = []
    real = evaluation.read_inspected
    monkeypatch.setattr(
        evaluation, "read_inspected", lambda path, *a: read.append(path.name) or real(path, *a)
    )
    results = tasks.process_batch(tasks.find_batches()[0])
    assert sorted(r["status"] for r in results) == ["accepted", "duplicate"]
    assert read == ["aprilie.xlsx"]  # the copy was answered from the batch's one lookup


def test_a_batch_without_mail_says_so_once_not_once_a_file(settings, engine, monkeypatch, caplog):
    monkeypatch.delenv("INCLUSION_SMTP_HOST", raising=False)
    for month in ("2016-03", "2016-04", "2016-05"):
        served = dt.date(*map(int, month.split("-")), 10)
        _drop(settings, f"luna_{month}.xlsx", [beneficiary(service_date=served)], month=month)
    [ids] = tasks.find_batches()
    with caplog.at_level("INFO"):
        results = tasks.process_batch(ids)
    assert [r["status"] for r in results] == ["accepted"] * 3
    said = [r.getMessage() for r in caplog.records if "mail not set up" in r.getMessage()]
    assert said == ["mail not set up (INCLUSION_SMTP_HOST): the 3 files' outcomes not mailed"]


def test_mail_settings_that_cannot_be_read_cost_the_mail_not_the_batch(settings, engine, monkeypatch):
    monkeypatch.setenv("INCLUSION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("INCLUSION_SMTP_PORT", "twenty-five")  # mail is a courtesy
    _drop(settings, "martie_2016-03.xlsx", [beneficiary()])
    [ids] = tasks.find_batches()
    assert [r["status"] for r in tasks.process_batch(ids)] == ["accepted"]
    assert not any(settings.inbox.rglob("*.xlsx"))
