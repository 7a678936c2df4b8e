"""Inbox, archive, rejected and published locations as object-storage URLs (here file://,
through Airflow's ObjectStoragePath, as s3:// would be), driven by a real DAG run."""

import json

import boto3
import pytest

from inclusion_data.orchestration.object_storage import UNSAFE_KEYS, pull_inbox
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
    # filed under arrival time and hash (names are personal), with the report and feedback
    assert sum(n.endswith(".xlsx") for n in archived) == 1
    assert sum(n.endswith(".xlsx.report.html") for n in archived) == 1
    assert sum(n.endswith(".xlsx.feedback.xlsx") for n in rejected) == 1
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


PLANTED = "TWAM/asoc-cluj/../../../../../planted.py"


def _pull(tmp_path, monkeypatch, url: str) -> Settings:
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path / "worker" / "var"))
    monkeypatch.setenv("INCLUSION_INBOX_URL", url)
    monkeypatch.setenv("INCLUSION_SETTLE_SECONDS", "0")
    settings = Settings.from_env()
    pull_inbox(settings)
    return settings


def _written_outside(tmp_path, settings: Settings) -> list:
    return [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_relative_to(settings.inbox) and "bucket" not in p.parts
    ]


def test_a_link_in_a_file_inbox_is_not_followed(tmp_path, monkeypatch):
    remote = tmp_path / "bucket" / "inbox" / "TWAM" / "asoc-cluj"
    remote.mkdir(parents=True)
    secret = tmp_path / "bucket" / "secret.key"
    secret.write_text("not for partners")
    (remote / "raport_2016-03.xlsx").symlink_to(secret)
    settings = _pull(tmp_path, monkeypatch, f"file://{tmp_path / 'bucket' / 'inbox'}")
    assert not any(settings.inbox.rglob("*.xlsx"))
    assert _written_outside(tmp_path, settings) == []


@pytest.fixture
def s3_bucket(monkeypatch):
    """A local S3 server (moto's server mode) on a free port, with one bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AIRFLOW_CONN_S3_LOCAL": json.dumps(
            {"conn_type": "aws", "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"}}
        ),
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="partners")
    yield client
    server.stop()


def test_a_bucket_key_pointing_outside_the_inbox_writes_nothing_outside(tmp_path, monkeypatch, s3_bucket):
    s3_bucket.put_object(Bucket="partners", Key=f"inbox/{PLANTED}", Body=b"print('owned')")
    s3_bucket.put_object(Bucket="partners", Key="inbox//etc/cron.d/x", Body=b"* * * * * root x")
    body = tmp_path / "ok.xlsx"
    write_xlsx(body, {"Beneficiari": [beneficiary()]})
    s3_bucket.put_object(
        Bucket="partners", Key="inbox/TWAM/asoc-cluj/ok_2016-03.xlsx", Body=body.read_bytes()
    )
    body.unlink()

    settings = _pull(tmp_path, monkeypatch, "s3://s3_local@partners/inbox")

    assert _written_outside(tmp_path, settings) == []
    assert (settings.inbox / "TWAM/asoc-cluj/ok_2016-03.xlsx").exists()
    kept = sorted(p.name for p in (settings.inbox / UNSAFE_KEYS).iterdir())
    assert len(kept) >= 1 and all("/" not in name and not name.startswith(".") for name in kept)
    left = s3_bucket.list_objects_v2(Bucket="partners", Prefix="inbox/").get("KeyCount", 0)
    assert left == 0  # every object was taken into the working inbox: nothing is lost
