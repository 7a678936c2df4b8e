"""The infrastructure's faults fail the task for Airflow's retry and leave the file in the
inbox; once fixed, the retry gives the file the outcome it deserves (never `duplicate`, never
`_internal_error`). Real faults: a read-only warehouse, a user without INSERT, a folder of
`rejected/` that cannot be created."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from inclusion_data.orchestration import tasks
from inclusion_data.orchestration.faults import is_infrastructure_fault
from inclusion_data.warehouse import schema
from workbooks import CNP_M_1985, beneficiary, write_xlsx

FILE = "TWAM/asoc-cluj/martie_2016-03.xlsx"


def _drop(settings, rejected: bool = False):
    rows = [beneficiary()]
    if rejected:
        rows.append(beneficiary(cnp=CNP_M_1985[:-1] + str((int(CNP_M_1985[-1]) + 1) % 10)))
    write_xlsx(settings.inbox / FILE, {"Beneficiari": rows})


def _run_batch():
    [ids] = tasks.find_batches()
    return tasks.process_batch(ids)


def _statuses(engine):
    with engine.connect() as conn:
        return conn.execute(select(schema.submissions.c.status)).scalars().all()


def _assert_filed(settings, result, status: str):
    assert result["status"] == status
    folder = settings.archive if status == "accepted" else settings.rejected
    [stored] = [p for p in folder.glob("TWAM/asoc-cluj/*.xlsx") if "feedback" not in p.name]
    report = json.loads(stored.with_name(stored.name + ".report.json").read_text())
    assert report["status"] == status and "already_processed" not in json.dumps(report)
    assert report["file_name"] == Path(FILE).name
    assert not (settings.inbox / FILE).exists() and not any(
        settings.rejected.glob("_internal_error/**/*.xlsx")
    )


@pytest.fixture
def read_only(settings, monkeypatch):
    """Makes the warehouse read-only for new connections; returns how to undo it."""
    url = make_url(settings.warehouse_url)
    if url.get_backend_name() == "sqlite":
        monkeypatch.setenv("WAREHOUSE_URL", f"sqlite:///file:{url.database}?mode=ro&uri=true")
        yield lambda: monkeypatch.setenv("WAREHOUSE_URL", settings.warehouse_url)
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def switch(on: bool):
        with admin.connect() as conn:
            setting = "on" if on else "off"
            conn.execute(
                text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = {setting}')
            )

    switch(True)
    yield lambda: switch(False)
    admin.dispose()


def test_a_read_only_warehouse_is_retried_then_the_file_is_loaded(settings, engine, read_only):
    _drop(settings)
    with pytest.raises(Exception) as failure:
        _run_batch()
    assert is_infrastructure_fault(failure.value)
    assert (settings.inbox / FILE).exists() and _statuses(engine) == []
    read_only()  # fixed
    [result] = _run_batch()
    _assert_filed(settings, result, "accepted")
    assert _statuses(engine) == ["accepted"]


def test_a_user_without_insert_is_retried_then_the_file_is_loaded(settings, engine, monkeypatch):
    url = make_url(settings.warehouse_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("SQLite has no users")
    role = f"reader_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    try:
        monkeypatch.setenv("WAREHOUSE_URL", url.set(username=role).render_as_string(hide_password=False))
        _drop(settings)
        with pytest.raises(Exception) as failure:
            _run_batch()
        assert is_infrastructure_fault(failure.value)
        assert (settings.inbox / FILE).exists() and _statuses(engine) == []
        monkeypatch.setenv("WAREHOUSE_URL", settings.warehouse_url)  # fixed: the loading user
        [result] = _run_batch()
        _assert_filed(settings, result, "accepted")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_an_unwritable_rejected_folder_is_retried_then_the_file_is_rejected_with_its_report(settings, engine):
    _drop(settings, rejected=True)
    blocker = settings.rejected / "TWAM"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")  # the partner's folder cannot be created under it
    with pytest.raises(OSError):
        _run_batch()
    assert (settings.inbox / FILE).exists()
    assert _statuses(engine) == ["rejected"]  # decided and recorded, not yet filed
    blocker.unlink()  # fixed
    [result] = _run_batch()
    _assert_filed(settings, result, "rejected")
    [feedback] = settings.rejected.glob("TWAM/asoc-cluj/*.feedback.xlsx")
    assert feedback.exists()
    assert _statuses(engine) == ["rejected"] and not any(settings.archive.rglob("*.xlsx"))


def _training(title: str, locality: str = "Cojocna") -> dict:
    return {
        "person_code": "T1",
        "sex": "F",
        "ethnicity": "Romă",
        "locality": locality,
        "activity_type": "Instruire specialiști",
        "title": title,
        "start_date": "01.03.2016",
        "end_date": "02.03.2016",
        "hours": 8,
        "participant_category": "Specialist",
        "institution_type": "ONG",
        "completed": "Da",
        "certified": "Nu",
    }


def test_a_value_longer_than_the_warehouse_column_is_the_partners_finding(settings, engine):
    """The contract states the length the warehouse stores; a longer value is a finding with
    its row and column (PostgreSQL would refuse it), one that fits loads on both databases."""
    from inclusion_data.contracts.datasets import TEXT_LENGTH

    write_xlsx(
        settings.inbox / "TWAM/asoc-cluj/instruiri_2016-03.xlsx",
        {"Instruiri": [_training("a" * TEXT_LENGTH), _training("ș" * (TEXT_LENGTH + 1))]},
    )
    write_xlsx(
        settings.inbox / "TWAM/asoc-bihor/instruiri_2016-03.xlsx",
        {"Instruiri": [_training("ș" * TEXT_LENGTH, "Oradea")]},
    )
    results = {r["status"] for r in _run_batch()}
    assert results == {"accepted", "rejected"}
    [stored] = [p for p in settings.rejected.glob("TWAM/asoc-cluj/*.xlsx") if "feedback" not in p.name]
    report = json.loads(stored.with_name(stored.name + ".report.json").read_text())
    [finding] = report["sheet_findings"]["Instruiri"]
    assert (finding["rule"], finding["rows"], finding["header"]) == ("too_long", [3], "Titlu")
    assert not any(settings.rejected.glob("_internal_error/**/*"))
    assert sorted(_statuses(engine)) == ["accepted", "rejected"]


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)  # COPY is PostgreSQL's
def test_the_database_failing_during_the_copy_of_the_rows_is_retried(settings, engine):
    """PostgreSQL's COPY is written to the driver itself, whose errors come unwrapped: a
    server out of disk space in the middle of it is still the infrastructure's fault."""
    _drop(settings)
    tasks.prepare_warehouse()
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION full_disk() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER full_disk BEFORE INSERT ON beneficiaries "
                "FOR EACH ROW EXECUTE FUNCTION full_disk()"
            )
        )
    with pytest.raises(Exception) as failure:
        _run_batch()
    assert "could not extend" in str(failure.value)  # from the COPY, not an earlier statement
    assert is_infrastructure_fault(failure.value)
    assert (settings.inbox / FILE).exists() and _statuses(engine) == []
    with engine.begin() as conn:  # fixed
        conn.execute(text("DROP TRIGGER full_disk ON beneficiaries"))
    [result] = _run_batch()
    _assert_filed(settings, result, "accepted")
    assert _statuses(engine) == ["accepted"]
