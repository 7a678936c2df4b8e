"""The privacy scan: trap files (CNPs and names in headers, file names, sheet names, wrong
columns, a sheet with no header row) through ``ingest_submissions`` and ``publish_indicators``
(``dag.test()``, logs at INFO), then every shared place searched for every trap value.

Everything is held to zero hits: what partners put inside their files, and the files'
names, which are personal too (partners name files after people): logs and XCom name a file
by its short hash, the warehouse keeps names sealed (``intake.sealing``) and files are filed
under their arrival time and hash.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from conftest import BACKENDS, prepared_settings, warehouse_database
from privacy_traps import CONTENT_VALUES, FILE_NAME_VALUES, report, scan_shared_places, write_trap_files

pytestmark = pytest.mark.slow


def _state(run) -> str:
    return str(run.state).rsplit(".", 1)[-1].lower()


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter()
        return "\n".join(
            record.getMessage()
            + ("\n" + formatter.formatException(record.exc_info) if record.exc_info else "")
            for record in self.records
        )


@pytest.fixture(scope="module", params=BACKENDS)
def trapped(request, tmp_path_factory, airflow_db):
    directory = tmp_path_factory.mktemp(f"privacy-{request.param}")
    keep, root = _Keep(), logging.getLogger()
    with warehouse_database(request.param, directory) as url, pytest.MonkeyPatch.context() as patch:
        settings = prepared_settings(directory / "var", url, patch)
        written = write_trap_files(settings.inbox)
        previous = root.level
        root.setLevel(logging.INFO)
        root.addHandler(keep)
        try:
            states = [_state(airflow_db["ingest_submissions"].test())]
            states.append(_state(airflow_db["publish_indicators"].test()))
        finally:
            root.removeHandler(keep)
            root.setLevel(previous)
        airflow_logs = Path(os.environ["AIRFLOW_HOME"]) / "logs"
        logs = {"task log (INFO)": keep.text()}
        for path in airflow_logs.rglob("*") if airflow_logs.exists() else []:
            if path.is_file():
                logs[f"airflow log {path.relative_to(airflow_logs)}"] = path.read_text(errors="replace")

        def scan(values):
            return scan_shared_places(
                settings, url, os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], logs, values
            )

        yield {"settings": settings, "written": written, "states": states, "scan": scan}


def test_the_trap_files_are_all_processed(trapped):
    settings = trapped["settings"]
    assert trapped["states"] == ["success", "success"]
    assert not any(p.is_file() for p in settings.inbox.rglob("*"))
    filed = [
        p
        for p in (*settings.archive.rglob("*"), *settings.rejected.rglob("*"))
        if p.is_file() and not p.name.endswith((".report.html", ".report.json", ".feedback.xlsx"))
    ]
    assert len(filed) == len(trapped["written"])


def test_nothing_from_inside_a_file_reaches_a_shared_place(trapped):
    hits = trapped["scan"](CONTENT_VALUES)
    assert not hits["data"] + hits["airflow"], report(hits["data"] + hits["airflow"])


def test_no_file_name_in_task_logs_xcom_or_rendered_fields(trapped):
    hits = trapped["scan"](FILE_NAME_VALUES)["airflow"]
    assert not hits, report(hits)


def test_no_file_name_in_the_warehouse_the_reviewers_site_or_the_published_outputs(trapped):
    hits = trapped["scan"](FILE_NAME_VALUES)["data"]
    assert not hits, report(hits)


def test_the_published_outputs_hold_no_file_name(trapped):
    hits = [h for h in trapped["scan"](FILE_NAME_VALUES)["data"] if h.place.startswith("published")]
    assert not hits, report(hits)
