"""The hostile and messy corpus (tests/hostile_corpus.py) through the ingest step, the
pre-check and one DAG run: every file gets its fate and its own message, nothing is lost,
nothing a partner sent comes back as a live formula, and one bad file never stops a batch."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest

from conftest import prepared_settings
from hostile_corpus import CASES, MAX_FILE_MB, OTHER_PARTNER, Case, drop
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import load_network
from inclusion_data.intake.guard import UnreadableFile, inspect
from inclusion_data.orchestration.ingest import process_file
from inclusion_data.settings import ReadingLimits
from inclusion_data.submissions import precheck
from inclusion_data.warehouse.engine import make_engine

KEY = b"k" * 32


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("INCLUSION_MAX_FILE_MB", str(MAX_FILE_MB))
    return prepared_settings(
        tmp_path / "var", f"sqlite:///{tmp_path / 'var' / 'warehouse.sqlite'}", monkeypatch
    )


def _content(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def _formulas(workbook: Path) -> list[str]:
    book = openpyxl.load_workbook(workbook)
    return [
        f"{s.title}!{c.coordinate}" for s in book for row in s.iter_rows() for c in row if c.data_type == "f"
    ]


def _rules(outcome) -> set[str]:
    return {f.rule for f in outcome.findings} | {f.rule for fs in outcome.sheet_findings.values() for f in fs}


def _rows(outcome) -> set[int]:
    return {r for fs in outcome.sheet_findings.values() for f in fs for r in f.rows}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_file_gets_its_fate_and_loses_nothing(case: Case, home):
    path = drop(case, home.inbox)
    sent = _content(path)
    engine = make_engine(home.warehouse_url)

    outcome = process_file(case.relative, home, engine, load_network(), KEY)
    engine.dispose()

    assert outcome.status == case.fate, (_rules(outcome), outcome.findings)
    if case.rule:
        assert case.rule in _rules(outcome)
        message = next(f for f in outcome.findings if f.rule == case.rule)
        assert str(home.home) not in message.message_en + message.message_ro  # no worker paths
        assert message.message_en != message.message_ro  # both languages
    if case.row:
        assert case.row in _rows(outcome)
    assert not os.path.lexists(path)  # out of the inbox ...
    stored = home.home / outcome.stored_at
    assert os.path.lexists(stored)  # ... and kept where it can be found, unchanged
    assert stored.is_relative_to(home.rejected if case.fate == "rejected" else home.archive)
    assert sent is None or stored.read_bytes() == sent
    assert (home.home / outcome.report).exists()
    if outcome.feedback:
        assert _formulas(home.home / outcome.feedback) == []
    if "another partner" in case.name:
        assert (home.inbox / OTHER_PARTNER / "their_2016-03.xlsx").exists()  # theirs, untouched


PRECHECK_CASES = [
    c for c in CASES if c.rule not in ("unsafe_name", "misplaced_file") and "pipe" not in c.name
]


@pytest.mark.parametrize("case", PRECHECK_CASES, ids=[c.name for c in PRECHECK_CASES])
def test_the_pre_check_gives_the_same_answer(case: Case, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INCLUSION_MAX_FILE_MB", str(MAX_FILE_MB))
    inbox = tmp_path / "inbox"
    path = drop(case, inbox)
    feedback = tmp_path / "feedback.xlsx"

    code = precheck.main([str(path), "--feedback", str(feedback)])

    printed = capsys.readouterr().out
    assert code == (1 if case.fate == "rejected" else 0), printed
    if case.rule:  # named as people read it, in the partner's language (Romanian)
        assert Labels("ro").rule(case.rule) in printed
    assert _formulas(feedback) == []


def test_a_file_its_reader_cannot_open_is_refused_as_such(tmp_path):
    """Permission 000, checked in a child that drops to an unprivileged user (root reads any file)."""
    locked = tmp_path / "raport_2016-03.xlsx"
    locked.write_bytes(b"PK\x03\x04")
    locked.chmod(0o000)
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents[:2]:
        parent.chmod(parent.stat().st_mode | 0o005)
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: become nobody, inspect, say which rule refused it
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                inspect(locked, ReadingLimits())
                answer = b"accepted"
            except UnreadableFile as refused:
                answer = refused.rule.encode()
            os.write(writer, answer)
        finally:
            os._exit(0)
    os.close(writer)
    answer = os.read(reader, 100).decode()
    os.waitpid(child, 0)
    assert answer == "unreadable_file"


def _state(run) -> str:
    return str(run.state).rsplit(".", 1)[-1].lower()


@pytest.mark.slow
def test_one_dag_run_takes_the_whole_corpus_in_one_batch(home, airflow_db):
    """Three unreadable files (and the rest of the corpus) in one batch: the task succeeds,
    every file leaves the inbox with its answer, and the good files load and fire the asset."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    for case in CASES:
        drop(case, home.inbox)

    run = airflow_db["ingest_submissions"].test()

    assert _state(run) == "success"
    with create_session() as session:
        states = dict(
            session.execute(
                select(TaskInstance.task_id, TaskInstance.state).where(TaskInstance.run_id == run.run_id)
            ).all()
        )
    assert str(states["summarise"]).endswith("success")  # not skipped: the asset event fired
    left = [p for p in home.inbox.rglob("*") if p.is_symlink() or not p.is_dir()]
    assert left == [], left
    rejected = [p for p in home.rejected.rglob("*") if ".report." not in p.name and "feedback" not in p.name]
    archived = [p for p in home.archive.rglob("*") if ".report." not in p.name and "feedback" not in p.name]
    expected_rejected = sum(c.fate == "rejected" for c in CASES)
    filed = sorted(p.name for p in rejected if p.is_symlink() or not p.is_dir())  # a pipe too
    assert len(filed) == expected_rejected, filed
    assert len([p for p in archived if p.is_file()]) >= sum(c.fate == "accepted" for c in CASES)

    assert _state(airflow_db["publish_indicators"].test()) == "success"
    written = [p for p in home.home.rglob("*") if p.is_file() and not p.is_symlink()]
    workbooks = [p for p in written if p.name.endswith((".feedback.xlsx", "indicator_values.xlsx"))]
    assert any(p.name == "indicator_values.xlsx" for p in workbooks) and len(workbooks) > 5
    assert {str(p): _formulas(p) for p in workbooks} == {str(p): [] for p in workbooks}
    csvs = [p for p in written if p.suffix == ".csv" and p.is_relative_to(home.published)]
    assert csvs and all(_active_csv_cells(p) == [] for p in csvs)


def _active_csv_cells(path: Path) -> list[str]:
    """Text cells a spreadsheet would run as a formula (OWASP's CSV-injection characters)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(c)]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
