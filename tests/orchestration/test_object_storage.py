"""Inbox, archive, rejected and published locations as object-storage URLs (here file://,
through Airflow's ObjectStoragePath, as s3:// would be), driven by a real DAG run."""

from inclusion_data.orchestration.object_storage import pull_inbox
from inclusion_data.settings import Settings
from workbooks import beneficiary, write_xlsx


def _state(run):
    return str(run.state).rsplit(".", 1)[-1].lower()


def test_files_come_from_and_results_go_to_object_storage(
    settings, engine, airflow_db, tmp_path, monkeypatch
):
    remote = tmp_path / "bucket"
    for name in ("inbox", "archive", "rejected", "published"):
        monkeypatch.setenv(f"INCLUSION_{name.upper()}_URL", f"file://{remote / name}")
    write_xlsx(remote / "inbox/TWAM/asoc-cluj/ok_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
    write_xlsx(
        remote / "inbox/TWAM/asoc-cluj/bad_2016-03.xlsx", {"Beneficiari": [beneficiary(locality="Atlantida")]}
    )

    assert _state(airflow_db["ingest_submissions"].test()) == "success"
    assert _state(airflow_db["publish_indicators"].test()) == "success"

    assert not any(p.is_file() for p in (remote / "inbox").rglob("*"))  # moved, not copied
    archived = {p.name for p in (remote / "archive/TWAM/asoc-cluj").iterdir()}
    rejected = {p.name for p in (remote / "rejected/TWAM/asoc-cluj").iterdir()}
    assert any(n.endswith("ok_2016-03.xlsx") for n in archived)
    assert any(n.endswith("ok_2016-03.xlsx.report.html") for n in archived)
    assert any(n.endswith("bad_2016-03.xlsx.feedback.xlsx") for n in rejected)
    assert list((remote / "published").rglob("indicator_values.csv"))


def test_a_file_still_uploading_stays_in_the_remote_inbox(tmp_path, monkeypatch):
    remote = tmp_path / "bucket" / "inbox"
    write_xlsx(remote / "TWAM/asoc-cluj/new_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("INCLUSION_INBOX_URL", f"file://{remote}")
    monkeypatch.setenv("INCLUSION_SETTLE_SECONDS", "3600")
    settings = Settings.from_env()
    assert pull_inbox(settings) == []
    assert (remote / "TWAM/asoc-cluj/new_2016-03.xlsx").exists()
    monkeypatch.setenv("INCLUSION_SETTLE_SECONDS", "0")
    assert pull_inbox(Settings.from_env()) == ["TWAM/asoc-cluj/new_2016-03.xlsx"]
    assert (settings.inbox / "TWAM/asoc-cluj/new_2016-03.xlsx").exists()
