"""The privacy scan: trap files (CNPs and names in headers, file names, sheet names, wrong
columns, a sheet with no header row) through ``ingest_submissions`` and ``publish_indicators``
(``dag.test()``, logs at INFO), then every shared place searched for every trap value.

File names are personal too. The task logs and XCom hold them until the other half of issue
10 (``orchestration/ingest.py``, ``orchestration/tasks.py``, ``submissions/outcome.py``) lands:
that part is a strict xfail, to flip once it has.
"""

from __future__ import annotations

import logging
import os

import pytest

from conftest import BACKENDS, prepared_settings, warehouse_database
from privacy_traps import find as find_traps
from privacy_traps import scan_database, scan_tree, write_trap_files

pytestmark = pytest.mark.slow


def _state(run) -> str:
    return str(run.state).rsplit(".", 1)[-1].lower()


@pytest.fixture(scope="module", params=BACKENDS)
def trapped(request, tmp_path_factory, airflow_db):
    directory = tmp_path_factory.mktemp(f"privacy-{request.param}")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler, root = Keep(logging.INFO), logging.getLogger()
    with warehouse_database(request.param, directory) as url, pytest.MonkeyPatch.context() as patch:
        settings = prepared_settings(directory / "var", url, patch)
        written = write_trap_files(settings.inbox)
        previous = root.level
        root.setLevel(logging.INFO)
        root.addHandler(handler)
        try:
            states = [_state(airflow_db["ingest_submissions"].test())]
            states.append(_state(airflow_db["publish_indicators"].test()))
        finally:
            root.removeHandler(handler)
            root.setLevel(previous)
        log_text = "\n".join(
            f"{r.getMessage()}\n{logging.Formatter().formatException(r.exc_info) if r.exc_info else ''}"
            for r in records
        )
        yield {
            "settings": settings,
            "url": url,
            "written": written,
            "states": states,
            "log": log_text,
            "airflow_logs": scan_tree(os.environ["AIRFLOW_HOME"] and _airflow_logs(), "airflow logs"),
        }


def _airflow_logs():
    from pathlib import Path

    return Path(os.environ["AIRFLOW_HOME"]) / "logs"


def test_the_trap_files_are_all_processed(trapped):
    settings = trapped["settings"]
    assert trapped["states"][0] == "success"
    assert not any(p.is_file() for p in settings.inbox.rglob("*"))
    filed = [
        p
        for p in (*settings.archive.rglob("*"), *settings.rejected.rglob("*"))
        if p.is_file() and not p.name.endswith((".report.html", ".report.json", ".feedback.xlsx"))
    ]
    assert len(filed) == len(trapped["written"])


def test_no_trap_value_in_the_warehouse_the_reviewers_site_or_the_published_outputs(trapped):
    settings = trapped["settings"]
    hits = (
        scan_database(trapped["url"], "warehouse")
        + scan_tree(settings.reports, "reports")
        + scan_tree(settings.published, "published")
    )
    assert not hits, "\n".join(map(str, hits))


def test_no_trap_value_in_task_logs_xcom_or_rendered_fields(trapped):
    hits = (
        find_traps(trapped["log"], "task log")
        + trapped["airflow_logs"]
        + scan_database(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], "airflow metadata")
    )
    assert not hits, "\n".join(map(str, hits))
