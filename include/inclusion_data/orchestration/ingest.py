"""From a file in the inbox to validated, loaded submissions, a data-quality report, and the
file moved to ``archive/`` or ``rejected/`` beside that report.

The folder a file sits in says who sent it: ``inbox/<project>/<partner>/<file>``, so a partner
cannot report for another.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from inclusion_data.contracts.network import Network
from inclusion_data.intake.guard import SUFFIXES
from inclusion_data.intake.parsing import RawSheet
from inclusion_data.intake.paths import safe_name, unsafe_reason, unused
from inclusion_data.intake.reading import ask_ahead, read_inspected
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.quality.findings import WARNING, Finding, file_error
from inclusion_data.settings import ReadingLimits, Settings
from inclusion_data.submissions.evaluation import (
    Evaluation,
    Steps,
    already_processed,
    evaluate_together,
    evaluation_steps,
    file_hash,
)
from inclusion_data.submissions.feedback import feedback_path, write_feedback_workbook
from inclusion_data.submissions.file_report import write_file_report
from inclusion_data.submissions.outcome import CURRENT, DUPLICATE, HELD, REJECTED, FileOutcome, short_id
from inclusion_data.warehouse.history import WarehouseHistory
from inclusion_data.warehouse.holding import closed_among, record_held
from inclusion_data.warehouse.load import load_file, mark_filed, serialise, submission_keys

log = logging.getLogger(__name__)


def discover(settings: Settings, settle_seconds: float = 0) -> list[str]:
    """Files waiting in the inbox, oldest first, as paths relative to it. Hidden files, Excel
    lock files (~$…) and files still being written (changed in the last ``settle_seconds``)
    are left for a later run. Links are listed, never followed: processing refuses them."""
    now = dt.datetime.now().timestamp()
    found = []
    for folder, directories, files in os.walk(settings.inbox, followlinks=False):
        linked = [d for d in directories if os.path.islink(os.path.join(folder, d))]
        directories[:] = [d for d in directories if d not in linked and not d.startswith(".")]
        for name in [*files, *linked]:
            path = Path(folder, name)
            if name.startswith((".", "~$")):
                continue
            mtime = path.lstat().st_mtime
            if now - mtime >= settle_seconds:
                found.append((mtime, str(path.relative_to(settings.inbox))))
    return [relative for _, relative in sorted(found)]


def batches(paths: list[str], size: int) -> list[list[str]]:
    """Group files so each mapped task pays the Great Expectations start-up once for many."""
    return [paths[i : i + size] for i in range(0, len(paths), size)]


def sender(relative: str) -> tuple[str | None, str | None]:
    """(project, partner) from ``<project>/<partner>/<file>``; None, None elsewhere."""
    parts = Path(relative).parts
    return (parts[0], parts[1]) if len(parts) == 3 else (None, None)


def destination(settings: Settings, outcome: FileOutcome, received: dt.datetime, folder: str = "") -> Path:
    """Where a processed file is filed; every partner-controlled part made a safe name."""
    root = {REJECTED: settings.rejected, HELD: settings.held}.get(outcome.status, settings.archive)
    who = (
        Path(safe_name(outcome.project), safe_name(outcome.partner))
        if outcome.project and outcome.partner
        else Path("_misplaced")
    )
    if outcome.status == HELD and outcome.period:  # by month: a reopened month's files are found by path
        who = who / safe_name(outcome.period)
    target = root / folder / who / f"{received:%Y%m%dT%H%M%S}_{stored_name(outcome)}"
    return unused(target)


def stored_name(outcome: FileOutcome) -> str:
    """A filed file's name: its short hash and its type, never the name it came with (partners
    name files after people; the file's report beside it keeps the name for the sender)."""
    suffix = Path(outcome.file_name).suffix.lower()
    known = suffix in (*SUFFIXES, ".xlsm")
    return short_id(outcome.file_hash or outcome.source) + (suffix if known else "")


def process_file(
    relative: str, settings: Settings, engine: Engine, network: Network, key: bytes
) -> FileOutcome:
    """Evaluate, load and file one inbox file. Whatever the file holds, this returns its
    outcome; it raises only when the warehouse or the disk fails (the file then stays).

    The outcome is decided once, and recorded in the transaction that loads the file's rows;
    filing the file and writing its report and feedback come after, and a run stopped in
    between is completed from that record by the next one. (``process_batch`` does the same
    for many files, their sheets validated together.)"""
    begun = begin_file(relative, settings, engine, network, key)
    if isinstance(begun, FileOutcome):
        return begun
    [(_, evaluation)] = evaluate_together([begun.steps])
    if isinstance(evaluation, Exception):
        raise evaluation
    return finish_file(begun, evaluation, settings, engine)


@dataclass
class Begun:
    """A file whose evaluation can start: its steps (``evaluation_steps``), not yet run."""

    relative: str
    seal: NameSeal
    steps: Steps
    file_hash: str | None = None  # taken once, for the evaluation and the batch's lookup


def begin_file(
    relative: str,
    settings: Settings,
    engine: Engine,
    network: Network,
    key: bytes,
    history: WarehouseHistory | None = None,
) -> FileOutcome | Begun:
    """What is decided before a file is read: a refused name is set aside, a file recorded but
    not filed (a stopped run) is filed from its record; any other file is to be evaluated.
    ``history``: the batch's, which may have recalled the file (``WarehouseHistory.recall``)."""
    path = settings.inbox / relative
    reason = unsafe_reason(relative)
    if reason:
        return set_aside(
            relative,
            settings,
            file_error(
                "unsafe_name",
                f"The file's name contains {reason}, which is not allowed; rename it and send it again.",
                "Numele fișierului conține caractere nepermise (de control sau „..”); redenumiți-l și "
                "trimiteți-l din nou.",
            ),
        )
    seal = NameSeal(key)
    history = history or WarehouseHistory(engine, seal)
    unfiled = history.unfiled(relative)
    if unfiled is not None and _same_file(path, unfiled[0]):
        outcome = FileOutcome.from_record(unfiled[1])
        if not os.path.lexists(settings.home / outcome.stored_at):  # else: filed, then re-sent
            return _file(settings, engine, seal, outcome, [], recorded=True)
        with engine.begin() as conn:
            mark_filed(conn, outcome, dt.datetime.now(dt.UTC), seal)
    project, partner = sender(relative)
    digest = _hash_if_readable(path, settings.limits)
    steps = evaluation_steps(
        path, project, partner, network, key, history, relative, settings.limits, known_hash=digest
    )
    return Begun(relative, seal, steps, digest)


def _hash_if_readable(path: Path, limits: ReadingLimits) -> str | None:
    """The file's hash, if it is a regular file within the size limit; else None, and the
    evaluation refuses it (``guard.inspect``, not called here: it opens a workbook's zip, and
    its refusal is the evaluation's to report)."""
    try:
        info = path.lstat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > limits.max_file_bytes:
        return None
    try:
        return file_hash(path)
    except OSError:
        return None


def recall_hashes(history: WarehouseHistory, begun: list[Begun]) -> None:
    """Whether the begun files' bytes were processed before, asked of the warehouse at once
    (``WarehouseHistory.recall``)."""
    history.recall(hashes=[file.file_hash for file in begun if file.file_hash])


def reading_ahead(begun: list[Begun], settings: Settings) -> Iterator[Steps]:
    """The files' steps in order, the next file asked of the batch's reader child before each
    (``reading.ask_ahead``): it reads that one while this one is parsed and checked."""
    asked = 0
    for i, file in enumerate(begun):
        while asked < min(i + 2, len(begun)):  # this one (the first time) and the next, once each
            ask_ahead(settings.inbox / begun[asked].relative, settings.limits)
            asked += 1
        yield file.steps


def finish_file(begun: Begun, evaluation: Evaluation, settings: Settings, engine: Engine) -> FileOutcome:
    """Load (or hold) an evaluated file and file it with its answer."""
    seal, outcome = begun.seal, evaluation.outcome
    now = dt.datetime.now(dt.UTC)
    outcome.stored_at = str(destination(settings, outcome, now).relative_to(settings.home))
    if not evaluation.records:  # nothing to record: filing it again decides the same
        return _file(settings, engine, seal, outcome, evaluation.sheets, recorded=False)
    with engine.begin() as conn:  # all of a file's submissions and its outcome, or nothing
        serialise(conn, outcome.file_hash, submission_keys(evaluation.records))  # before asking
        closed = closed_among(conn, evaluation.records)
        if closed:  # nothing loaded: the file waits in held/ until its month is reopened
            _hold(outcome, closed)
            outcome.stored_at = str(destination(settings, outcome, now).relative_to(settings.home))
            held = record_held(conn, outcome, now, seal)
            duplicate = None if held else _already_held()  # held meanwhile by a parallel task
        else:
            earlier = load_file(conn, outcome, evaluation.records, evaluation.frames, now, seal)
            duplicate = already_processed(earlier) if earlier else None
    if duplicate:  # the same bytes under another name, recorded meanwhile by a parallel task
        _duplicate_of(outcome, duplicate)
        outcome.stored_at = str(destination(settings, outcome, now).relative_to(settings.home))
        return _file(settings, engine, seal, outcome, [], recorded=False)
    return _file(settings, engine, seal, outcome, evaluation.sheets, recorded=True)


def _hold(outcome: FileOutcome, closed: list[tuple[str, str]]) -> None:
    """Mark a file for a closed month held, and say so to its sender."""
    outcome.status = HELD
    for sheet in outcome.submissions:
        if sheet.status in CURRENT:
            sheet.status = HELD
    months = ", ".join(f"{project} {period}" for project, period in closed)
    outcome.findings.append(
        Finding(
            "month_closed",
            WARNING,
            f"{months}: the month was approved by the network's coordinators and is closed, so this "
            "file is held, not loaded; nothing in it is lost. It is loaded when a coordinator reopens "
            "the month: ask them to if it is a correction.",
            f"{months}: luna a fost aprobată de coordonatorii rețelei și este închisă, așa că fișierul "
            "este reținut, nu încărcat; nu se pierde nimic din el. Se încarcă atunci când un "
            "coordonator redeschide luna: cereți-i acest lucru dacă este o corectură.",
        )
    )


def _same_file(path: Path, recorded_hash: str) -> bool:
    return path.is_file() and not path.is_symlink() and file_hash(path) == recorded_hash


def _needs_feedback(outcome: FileOutcome) -> bool:
    return outcome.status != DUPLICATE and outcome.has_findings()


def _duplicate_of(outcome: FileOutcome, finding: Finding) -> None:
    outcome.status = DUPLICATE
    outcome.sheet_findings, outcome.submissions = {}, []
    outcome.findings = [finding]


def _already_held() -> Finding:
    return Finding(
        "already_processed",
        WARNING,
        "This exact file is already held for its closed month; nothing changed.",
        "Acest fișier este deja reținut pentru luna sa închisă; nu s-a schimbat nimic.",
    )


def _file(
    settings: Settings,
    engine: Engine,
    seal: NameSeal,
    outcome: FileOutcome,
    sheets: list[RawSheet],
    recorded: bool,
) -> FileOutcome:
    """Write the file's answer where its outcome says, then move the file beside it. Both
    can be repeated: the answer is rewritten whole, and the file leaves the inbox last, so a
    run stopped before finds it there and completes it."""
    source, target = settings.inbox / outcome.source, settings.home / outcome.stored_at
    target.parent.mkdir(parents=True, exist_ok=True)
    if recorded and not sheets and _needs_feedback(outcome):  # completing a stopped run
        sheets = read_inspected(source, settings.limits)
    _write_answer(settings, outcome, target, sheets)
    shutil.move(source, target)
    if recorded:
        with engine.begin() as conn:
            mark_filed(conn, outcome, dt.datetime.now(dt.UTC), seal)
    log.info("file %s: %s", short_id(outcome.file_hash or outcome.source), outcome.status)
    return outcome


def _write_answer(settings: Settings, outcome: FileOutcome, stored: Path, sheets: list[RawSheet]) -> None:
    """The file report and, when there is something to mark, the feedback workbook, written
    from what was read (the stored file is never parsed again)."""
    received = outcome.received or dt.datetime.now(dt.UTC)
    outcome.report = str(write_file_report(outcome, stored, received).relative_to(settings.home))
    if _needs_feedback(outcome):
        written = write_feedback_workbook(sheets, outcome, feedback_path(stored))
        outcome.feedback = str(written.relative_to(settings.home))


def set_aside(relative: str, settings: Settings, finding: Finding, folder: str = "") -> FileOutcome:
    """File an inbox entry in ``rejected/`` (under ``folder``) with a report saying why,
    without reading it: for names that are refused, and files the pipeline failed on."""
    source = settings.inbox / relative
    project, partner = sender(relative)
    outcome = FileOutcome(relative, source.name, project, partner, None, "", REJECTED)
    outcome.findings.append(finding)
    now = dt.datetime.now(dt.UTC)
    target = destination(settings, outcome, now, folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(source):
        shutil.move(source, target)  # a link is moved as the link, never followed
    outcome.stored_at = str(target.relative_to(settings.home))
    outcome.report = str(write_file_report(outcome, target, now).relative_to(settings.home))
    log.info("file %s: set aside (%s)", short_id(relative), finding.rule)
    return outcome
